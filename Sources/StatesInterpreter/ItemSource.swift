import StatesLanguage

/// A Distributed Map's items from what its ItemReader read, and their batches: pure, so the
/// interpreter's decision stays a function of the state and the trigger.
enum ItemSource {
    static func failed(_ cause: String) -> StatesError { StatesError(StatesError.itemReaderFailed, cause) }

    /// The items in an ItemReader's result: a listing's objects, or an object's content read
    /// as its `InputType` says. At most `maxItems` (0 or nil: all).
    static func items(_ result: JSON, reader: ItemReader, maxItems: Int?) throws(StatesError) -> [JSON] {
        let limit = maxItems.flatMap { $0 > 0 ? $0 : nil }
        if reader.listsObjects {
            guard let items = result["Items"]?.arrayValue else { throw failed("The listing returned no items.") }
            return limit.map { Array(items.prefix($0)) } ?? items
        }
        if reader.config.inputType == "MANIFEST" { return try manifestItems(result, limit: limit) }
        guard let body = result["Body"]?.stringValue else { throw failed("The object has no content to read items from.") }
        switch reader.config.inputType ?? "JSON" {
        case "JSON":
            guard let parsed = try? JSONParser.parse(Array(body.utf8)) else {
                throw failed("Attempting to map over non-iterable node. The content of the object is not valid JSON.")
            }
            var node: JSON? = parsed
            if let pointer = reader.config.itemsPointer { node = resolve(pointer, in: parsed) }
            guard case .array(let items)? = node else {
                throw failed(node == nil ? "The ItemsPointer \(reader.config.itemsPointer ?? "") does not point to a value in the object."
                                         : "Attempting to map over non-iterable node.")
            }
            return limit.map { Array(items.prefix($0)) } ?? items
        case "JSONL":
            var items: [JSON] = []
            for (n, line) in body.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
                if let limit, items.count >= limit { break }
                let text = line.trimmingCharacters(in: .whitespaces)
                if text.isEmpty { continue }
                guard let v = try? JSONParser.parse(Array(text.utf8)) else { throw failed("Line \(n + 1) of the object is not valid JSON.") }
                items.append(v)
            }
            return items
        case "CSV":
            return try csvItems(body, config: reader.config, limit: limit)
        default:
            throw failed("The InputType \(reader.config.inputType ?? "") is not one the ItemReader reads.")
        }
    }

    /// A JSON Pointer (RFC 6901) in `document`: `~1` is `/` and `~0` is `~` in a token; an
    /// array's token is its index. Nil where nothing is.
    static func resolve(_ pointer: String, in document: JSON) -> JSON? {
        guard !pointer.isEmpty else { return document }
        var node = document
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var tilde = false
            for c in raw {
                if tilde {
                    token.append(c == "1" ? "/" : c == "0" ? "~" : c)
                    tilde = false
                } else if c == "~" {
                    tilde = true
                } else {
                    token.append(c)
                }
            }
            switch node {
            case .object(let o):
                guard let next = o[token] else { return nil }
                node = next
            case .array(let a):
                guard let i = Int(token), i >= 0, i < a.count, token == String(i) else { return nil }
                node = a[i]
            default:
                return nil
            }
        }
        return node
    }

    /// CSV as AWS reads it: RFC 4180 fields (quotes, doubled quotes, line breaks in quotes),
    /// every value a string, the header row first or given; a row's fields past the headers
    /// are dropped and missing ones are empty.
    /// An S3 inventory report's rows, read by the reader from the files its manifest names
    /// (`Files`, their text) under the manifest's `fileSchema` (`Schema`): each row an object of
    /// the schema's fields, every value a string, as AWS's ItemReader gives them.
    static func manifestItems(_ result: JSON, limit: Int?) throws(StatesError) -> [JSON] {
        guard let files = result["Files"]?.arrayValue, let schema = result["Schema"]?.arrayValue?.compactMap(\.stringValue), !schema.isEmpty else {
            throw failed("The manifest names no CSV files with a fileSchema.")
        }
        var config = ReaderConfig()
        config.csvHeaderLocation = "GIVEN"
        config.csvHeaders = schema
        var items: [JSON] = []
        for f in files {
            let left = limit.map { $0 - items.count }
            if let left, left <= 0 { break }
            items += try csvItems(f.stringValue ?? "", config: config, limit: left)
        }
        return items
    }

    static func csvItems(_ text: String, config: ReaderConfig, limit: Int?) throws(StatesError) -> [JSON] {
        let delimiter: Character = ["PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"][config.csvDelimiter ?? ""] ?? ","
        var rows = csvRows(text, delimiter: delimiter)
        var headers: [String]
        if config.csvHeaderLocation == "GIVEN" {
            headers = config.csvHeaders ?? []
        } else {
            guard !rows.isEmpty else { return [] }
            headers = rows.removeFirst()
        }
        if Set(headers).count != headers.count { throw failed("CSV headers cannot contain duplicates.") }
        var items: [JSON] = []
        for row in rows {
            if let limit, items.count >= limit { break }
            var o = JSONObject()
            for (i, h) in headers.enumerated() { o.appendUnchecked(h, .string(i < row.count ? row[i] : "")) }
            items.append(.object(o))
        }
        return items
    }

    static func csvRows(_ text: String, delimiter: Character) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var afterQuote = false
        var rowHasContent = false
        var chars = Array(text)
        if chars.last != "\n" { chars.append("\n") }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count, chars[i + 1] == "\"" {
                        field.append("\"")
                        i += 1
                    } else {
                        quoted = false
                        afterQuote = true
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty && !afterQuote {
                quoted = true
                rowHasContent = true
            } else if c == delimiter {
                row.append(field)
                field = ""
                afterQuote = false
                rowHasContent = true
            } else if c == "\n" || c == "\r\n" || c == "\r" {
                if rowHasContent || !field.isEmpty {
                    row.append(field)
                    rows.append(row)
                }
                row = []
                field = ""
                afterQuote = false
                rowHasContent = false
            } else {
                field.append(c)
                rowHasContent = true
            }
            i += 1
        }
        return rows
    }

    /// ItemBatcher: consecutive items grouped as `{"BatchInput": …, "Items": […]}`, each batch
    /// at most `maxItems` items and (with its BatchInput) at most `maxBytes` bytes of JSON.
    static func batches(_ items: [JSON], maxItems: Int?, maxBytes: Int?, batchInput: JSON?) throws(StatesError) -> [JSON] {
        func batch(_ members: [JSON]) -> JSON {
            var o = JSONObject()
            if let batchInput { o.appendUnchecked("BatchInput", batchInput) }
            o.appendUnchecked("Items", .array(members))
            return .object(o)
        }
        var out: [JSON] = []
        var current: [JSON] = []
        let overhead = batch([]).serializedBytes.count
        var size = overhead
        for item in items {
            let itemSize = item.serializedBytes.count + (current.isEmpty ? 0 : 1)
            if let maxBytes, overhead + item.serializedBytes.count > maxBytes {
                throw StatesError(StatesError.runtime, "An item is larger than MaxInputBytesPerBatch (\(maxBytes) bytes).")
            }
            let full = (maxItems.map { current.count >= $0 } ?? false) || (maxBytes.map { size + itemSize > $0 } ?? false)
            if full && !current.isEmpty {
                out.append(batch(current))
                current = []
                size = overhead
            }
            size += item.serializedBytes.count + (current.isEmpty ? 0 : 1)
            current.append(item)
        }
        if !current.isEmpty { out.append(batch(current)) }
        return out
    }
}
