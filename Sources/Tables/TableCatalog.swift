import Engine
import Journal
import ServiceKit
import StatesLanguage

/// The tables: their stored records (AWS's description, the TTL setting, tags, backups) in a
/// document book, and a schema per table in memory for item operations to read without
/// waiting on an actor.
final class TableCatalog: Sendable {
    let book: DocumentBook<JSONObject>
    private let schemas: LockedValue<[String: TableSchema]>
    private let nextId: LockedValue<Int64>
    let shared: Bool

    init(store: any DocumentStore) async throws(ServiceError) {
        shared = store.sharedWithOtherNodes
        book = try await DocumentBook(owner: "dynamodb.tables", store: store, encode: { .object($0) }, decode: { $0.objectValue })
        var schemas: [String: TableSchema] = [:]
        var top: Int64 = 0
        for (name, record) in await book.all {
            let s = Self.schema(record)
            schemas[name] = s
            top = max(top, s.id)
        }
        self.schemas = LockedValue(schemas)
        nextId = LockedValue(top)
        // Tables created, changed or deleted through another node: their schemas follow.
        let all = self.schemas
        await book.watch { name, record in all.mutate { $0[name] = record.map(Self.schema) } }
    }

    static func schema(_ record: JSONObject) -> TableSchema {
        var s = TableSchema(id: record["id"]?.integerValue ?? 0, description: record["description"]?.objectValue ?? [:],
                            ttlAttribute: record["ttl"]?["TimeToLiveStatus"]?.stringValue == "ENABLED" ? record["ttl"]?["AttributeName"]?.stringValue : nil)
        s.kinesisDestinations = (record["kinesis"]?.arrayValue ?? []).compactMap { d in
            guard d["DestinationStatus"]?.stringValue == "ACTIVE", let arn = d["StreamArn"]?.stringValue else { return nil }
            return (arn, d["ApproximateCreationDateTimePrecision"]?.stringValue == "MICROSECOND")
        }
        return s
    }

    /// A new table's id: the next of this node's, or, when other nodes create tables in the same
    /// store, a random one (ids are never compared, only matched; 2⁶² of them make a clash
    /// between nodes creating tables at once as good as impossible).
    func newId() -> Int64 { shared ? Int64.random(in: 1 << 32 ..< 1 << 62) : nextId.next() }

    /// A table's schema, or AWS's ResourceNotFoundException as item operations word it.
    func schema(_ name: String) throws(ServiceError) -> TableSchema {
        guard let s = schemas.value[Self.name(name)] else {
            throw ServiceError("ResourceNotFoundException", "Requested resource not found", kind: .notFound)
        }
        return s
    }

    var names: [String] { schemas.value.keys.sorted() }

    var all: [TableSchema] { Array(schemas.value.values) }

    /// Table operations name the table.
    static func notFound(_ name: String) -> ServiceError {
        ServiceError("ResourceNotFoundException", "Requested resource not found: Table: \(Self.name(name)) not found", kind: .notFound)
    }

    /// A table's name from its name or ARN (DynamoDB takes either since 2024).
    static func name(_ given: String) -> String {
        if given.hasPrefix("arn:"), let r = given.range(of: ":table/") {
            return String(given[r.upperBound...].prefix { $0 != "/" })
        }
        return given
    }

    /// Changes a table's record and its schema together; nil removes the table.
    @discardableResult
    func update<R: Sendable>(_ name: String, _ change: sending (inout JSONObject?) throws(ServiceError) -> R) async throws(ServiceError) -> R {
        let result = try await book.update(name, change)
        let record = await book.get(name)
        schemas.mutate { $0[name] = record.map(Self.schema) }
        return result
    }

    func record(_ name: String) async throws(ServiceError) -> JSONObject {
        guard let r = await book.get(Self.name(name)) else { throw Self.notFound(name) }
        return r
    }
}
