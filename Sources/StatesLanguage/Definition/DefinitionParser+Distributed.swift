/// ItemReader, ItemBatcher and ResultWriter, checked as AWS checks them when a state machine
/// is created.
extension DefinitionParser {
    static let readerResources = ["arn:aws:states:::s3:getObject", "arn:aws:states:::s3:listObjectsV2"]
    static let inputTypes: Set<String> = ["JSON", "JSONL", "CSV", "MANIFEST"]
    static let delimiters: Set<String> = ["COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"]

    /// The request of a reader or writer: `Parameters` (JSONPath) or `Arguments` (JSONata).
    mutating func request(_ o: JSONObject, _ location: String) -> (PayloadTemplate?, JSONataTemplate?) {
        if jsonata {
            if o["Parameters"] != nil { error(location + "/Parameters", "The field 'Parameters' is not supported in JSONata; use 'Arguments'.") }
            return (nil, o["Arguments"].map { template($0, location + "/Arguments") })
        }
        if o["Arguments"] != nil { error(location + "/Arguments", "The field 'Arguments' is supported only in JSONata states.") }
        guard let p = o["Parameters"] else { return (nil, nil) }
        if p.objectValue == nil { error(location + "/Parameters", "The field 'Parameters' must be an object.") }
        return (PayloadTemplate.compile(p, location: location + "/Parameters", diagnostics: &diagnostics), nil)
    }

    mutating func parseItemReader(_ value: JSON, _ location: String) -> ItemReader? {
        guard case .object(let o) = value else {
            error(location, "The field 'ItemReader' must be an object.")
            return nil
        }
        guard let resource = optionalString(o, "Resource", location) else {
            error(location, "These fields are required: [Resource]")
            return nil
        }
        if !Self.readerResources.contains(resource) {
            error(location + "/Resource", "The resource provided \(resource) is not recognized. The value is not a valid resource ARN, or the resource is not available in this region.")
        }
        let (parameters, arguments) = request(o, location)
        var config = ReaderConfig()
        if let c = o["ReaderConfig"] {
            guard case .object(let rc) = c else {
                error(location + "/ReaderConfig", "The field 'ReaderConfig' must be an object.")
                return nil
            }
            let at = location + "/ReaderConfig"
            config.inputType = optionalString(rc, "InputType", at)
            if let t = config.inputType, !Self.inputTypes.contains(t) {
                error(at + "/InputType", "The value for the field 'InputType' must be one of: CSV, JSON, JSONL, MANIFEST.")
            }
            config.csvHeaderLocation = optionalString(rc, "CSVHeaderLocation", at)
            if let l = config.csvHeaderLocation, l != "FIRST_ROW", l != "GIVEN" {
                error(at + "/CSVHeaderLocation", "The value for the field 'CSVHeaderLocation' must be FIRST_ROW or GIVEN.")
            }
            if let h = rc["CSVHeaders"] {
                let names = h.arrayValue?.compactMap(\.stringValue)
                if names == nil || names?.count != h.arrayValue?.count { error(at + "/CSVHeaders", "The field 'CSVHeaders' must be an array of strings.") }
                config.csvHeaders = names
            }
            config.csvDelimiter = optionalString(rc, "CSVDelimiter", at)
            if let d = config.csvDelimiter, !Self.delimiters.contains(d) {
                error(at + "/CSVDelimiter", "The value for the field 'CSVDelimiter' must be one of: COMMA, PIPE, SEMICOLON, SPACE, TAB.")
            }
            config.maxItems = intOrPath(rc, "MaxItems", at, min: 0)
            config.itemsPointer = optionalString(rc, "ItemsPointer", at)
            if let pointer = config.itemsPointer {
                if !pointer.isEmpty && !pointer.hasPrefix("/") {
                    error(at + "/ItemsPointer", "The value for the field 'ItemsPointer' must be a valid JSON Pointer.")
                } else if config.inputType != "JSON" {
                    error(at + "/ItemsPointer", "The field 'ItemsPointer' can only be used when 'InputType' is JSON.")
                }
            }
            if config.inputType == "CSV" {
                if config.csvHeaderLocation == nil { error(at, "The field 'CSVHeaderLocation' is required when 'InputType' is CSV.") }
                if config.csvHeaderLocation == "GIVEN" && config.csvHeaders == nil {
                    error(at, "The field 'CSVHeaders' is required when 'CSVHeaderLocation' is GIVEN.")
                }
            }
        }
        if resource.hasSuffix(":s3:getObject"), config.inputType == nil {
            error(location, "The field 'ReaderConfig.InputType' is required when the ItemReader's resource is s3:getObject.")
        }
        return ItemReader(resource: resource, parameters: parameters, arguments: arguments, config: config)
    }

    mutating func parseItemBatcher(_ value: JSON, _ location: String) -> ItemBatcher? {
        guard case .object(let o) = value else {
            error(location, "The field 'ItemBatcher' must be an object.")
            return nil
        }
        var b = ItemBatcher()
        b.maxItemsPerBatch = intOrPath(o, "MaxItemsPerBatch", location)
        b.maxInputBytesPerBatch = intOrPath(o, "MaxInputBytesPerBatch", location)
        if b.maxItemsPerBatch == nil && b.maxInputBytesPerBatch == nil {
            error(location, "An ItemBatcher must have at least one of MaxItemsPerBatch, MaxItemsPerBatchPath, MaxInputBytesPerBatch or MaxInputBytesPerBatchPath.")
        }
        if let input = o["BatchInput"] {
            if jsonata {
                b.jsonataBatchInput = template(input, location + "/BatchInput")
            } else {
                if input.objectValue == nil { error(location + "/BatchInput", "The field 'BatchInput' must be an object.") }
                b.batchInput = PayloadTemplate.compile(input, location: location + "/BatchInput", diagnostics: &diagnostics)
            }
        }
        return b
    }

    mutating func parseResultWriter(_ value: JSON, _ location: String) -> ResultWriter? {
        guard case .object(let o) = value else {
            error(location, "The field 'ResultWriter' must be an object.")
            return nil
        }
        let resource = optionalString(o, "Resource", location)
        if let resource, resource != "arn:aws:states:::s3:putObject" {
            error(location + "/Resource", "The resource provided \(resource) is not recognized. The value is not a valid resource ARN, or the resource is not available in this region.")
        }
        let (parameters, arguments) = request(o, location)
        var w = ResultWriter(resource: resource ?? "", parameters: parameters, arguments: arguments)
        if let c = o["WriterConfig"]?.objectValue {
            w.outputType = optionalString(c, "OutputType", location + "/WriterConfig")
            w.transformation = optionalString(c, "Transformation", location + "/WriterConfig")
            if let t = w.outputType, t != "JSON", t != "JSONL" {
                error(location + "/WriterConfig/OutputType", "The value for the field 'OutputType' must be JSON or JSONL.")
            }
            if let t = w.transformation, !["NONE", "COMPACT", "FLATTEN"].contains(t) {
                error(location + "/WriterConfig/Transformation", "The value for the field 'Transformation' must be NONE, COMPACT or FLATTEN.")
            }
        }
        if resource == nil && w.outputType == nil {
            error(location, "A ResultWriter needs a Resource (with the Bucket and Prefix) or a WriterConfig.")
        }
        return w
    }
}
