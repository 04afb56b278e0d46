/// A Distributed Map's fields beyond an inline Map's: where its items come from
/// (`ItemReader`), how they are grouped (`ItemBatcher`), where its results go (`ResultWriter`).
public struct ItemReader: Sendable {
    /// `arn:aws:states:::s3:getObject` or `arn:aws:states:::s3:listObjectsV2`.
    public var resource: String
    public var parameters: PayloadTemplate?
    public var arguments: JSONataTemplate?
    public var config: ReaderConfig

    public var listsObjects: Bool { resource.hasSuffix(":s3:listObjectsV2") }
}

public struct ReaderConfig: Sendable {
    /// JSON, JSONL, CSV or MANIFEST (an S3 inventory manifest); nil for listObjectsV2.
    public var inputType: String?
    /// FIRST_ROW or GIVEN.
    public var csvHeaderLocation: String?
    public var csvHeaders: [String]?
    /// COMMA (the default), PIPE, SEMICOLON, SPACE or TAB.
    public var csvDelimiter: String?
    public var maxItems: IntOrPath?
    /// `ItemsPointer`: where in a JSON object read the array of items is (a JSON Pointer,
    /// RFC 6901, such as `/data/items`); the whole document when absent.
    public var itemsPointer: String?

    public init() {}
}

public struct ItemBatcher: Sendable {
    public var maxItemsPerBatch: IntOrPath?
    public var maxInputBytesPerBatch: IntOrPath?
    /// `BatchInput`: added to every batch beside its `Items`.
    public var batchInput: PayloadTemplate?
    public var jsonataBatchInput: JSONataTemplate?
}

public struct ResultWriter: Sendable {
    /// `arn:aws:states:::s3:putObject`.
    public var resource: String
    public var parameters: PayloadTemplate?
    public var arguments: JSONataTemplate?
    /// WriterConfig: `OutputType` JSON or JSONL, `Transformation` NONE, COMPACT or FLATTEN.
    public var outputType: String?
    public var transformation: String?
}
