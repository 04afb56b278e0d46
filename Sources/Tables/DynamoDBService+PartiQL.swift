import ServiceKit
import StatesLanguage

/// ExecuteStatement and BatchExecuteStatement: a PartiQL statement becomes the same plan an
/// item call makes (an INSERT a put that must not find its key, an UPDATE an update that must,
/// a DELETE a delete), and a SELECT a scan of the table or index filtered by its WHERE.
extension DynamoDBService {
    func statement(_ body: JSONObject) throws(ServiceError) -> PartiQLStatement {
        guard let text = body["Statement"]?.stringValue else {
            throw ServiceError.validation("1 validation error detected: Value null at 'statement' failed to satisfy constraint: Member must not be null")
        }
        var parameters: [AttributeValue] = []
        for p in body["Parameters"]?.arrayValue ?? [] { parameters.append(try AttributeValue(json: p)) }
        return try PartiQLStatement(text, parameters: parameters)
    }

    /// Runs one statement; the items a SELECT finds (nil for a write).
    func execute(_ s: PartiQLStatement) async throws(ServiceError) -> [Item]? {
        let schema = try catalog.schema(s.table)
        switch s.kind {
        case .select(let projection, let indexName):
            let index = try indexName.map { (n: String) throws(ServiceError) -> TableSchema.Index in
                guard let i = schema.index(n) else { throw ServiceError.validation("The table does not have the specified index: \(n)") }
                return i
            }
            var found: [Item] = []
            var after: (ipk: [UInt8], isk: [UInt8], pk: [UInt8], sk: [UInt8])?
            var bytes = 0
            while bytes < Self.pageBytes {
                let from = after
                let rows = try await store.read { (r) throws(ServiceError) in
                    try r.scan(table: schema.id, index: index?.name, partition: nil, range: nil, forward: true, after: from, limit: 1000,
                               budget: Self.pageBytes)
                }
                for row in rows {
                    let item = try ItemReader.decode(row.item)
                    let key = index.flatMap { schema.indexKey($0, of: item) }
                    after = (key?.ipk ?? row.pk, key?.isk ?? row.sk, row.pk, row.sk)
                    bytes += row.size
                    let visible = index.map { schema.projected(item, through: $0) } ?? item
                    if try s.condition.map({ (c) throws(ServiceError) in try ExpressionEvaluator.holds(c, on: visible) }) ?? true {
                        found.append(projection.map { ExpressionEvaluator.project(visible, $0) } ?? visible)
                    }
                }
                if rows.count < 1000 { break }
            }
            return found
        case .insert(let item):
            let (pk, sk) = try schema.storedKey(item)
            try schema.checkIndexKeys(item)
            try Self.checkSize(item)
            let plan = WritePlan(schema: schema, pk: pk, sk: sk, condition: .notExists(DocumentPath(elements: [.name(schema.hash.name)])),
                                 onFailure: nil, action: .put(item))
            do { _ = try await run(plan) } catch where error.code == "ConditionalCheckFailedException" {
                throw ServiceError("DuplicateItemException", "Duplicate primary key exists in table")
            }
            return nil
        case .update(let actions):
            let (key, rest) = try s.key(schema)
            let (pk, sk) = try schema.storedKey(key, isKey: true)
            for path in actions.paths where schema.keyNames.contains(path.first) {
                throw ServiceError.validation("One or more parameter values were invalid: Cannot update attribute \(path.first). This attribute is part of the key")
            }
            let exists = Condition.exists(DocumentPath(elements: [.name(schema.hash.name)]))
            let plan = WritePlan(schema: schema, pk: pk, sk: sk, condition: rest.map { .and(exists, $0) } ?? exists, onFailure: nil,
                                 action: .update(actions, key: key))
            _ = try await run(plan)
            return nil
        case .delete:
            let (key, rest) = try s.key(schema)
            let (pk, sk) = try schema.storedKey(key, isKey: true)
            _ = try await run(WritePlan(schema: schema, pk: pk, sk: sk, condition: rest, onFailure: nil, action: .delete))
            return nil
        }
    }

    func executeStatement(_ r: JSONRequest) async throws -> JSON {
        let items = try await execute(try statement(r.body))
        return ["Items": .array((items ?? []).map(\.json))]
    }

    func batchExecuteStatement(_ r: JSONRequest) async throws -> JSON {
        let statements = r.body["Statements"]?.arrayValue ?? []
        guard !statements.isEmpty, statements.count <= 25 else {
            throw ServiceError.validation("1 validation error detected: Value at 'statements' failed to satisfy constraint: Member must have length less than or equal to 25")
        }
        var responses: [JSON] = []
        for s in statements {
            do throws(ServiceError) {
                let parsed = try statement(s.objectValue ?? [:])
                let items = try await execute(parsed)
                var out: JSONObject = ["TableName": .string(parsed.table)]
                if let first = items?.first { out["Item"] = first.json }
                responses.append(.object(out))
            } catch {
                // BatchStatementError's codes: the exception's name without "Exception" ("ValidationError" for a validation).
                let code = error.code == "ValidationException" ? "ValidationError" : error.code.replacingOccurrences(of: "Exception", with: "")
                responses.append(["Error": ["Code": .string(code), "Message": .string(error.message)]])
            }
        }
        return ["Responses": .array(responses)]
    }
}
