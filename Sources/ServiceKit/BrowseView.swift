import StatesLanguage

/// A list the console shows for a service (its queues, its tables, its buckets): declared by
/// the service, as data, beside its routes and actions. Most are one of the service's own list
/// actions, called as a client would call it (so the console shows exactly what the API says);
/// a service whose actions do not answer JSON (S3's XML) gives its rows itself.
package struct BrowseView: Sendable {
    package struct Column: Sendable {
        package var title: String
        /// The member of each item shown in this column; "" is the item itself (a list of names).
        package var member: String

        package init(_ title: String, _ member: String = "") {
            self.title = title
            self.member = member
        }
    }

    package enum Source: Sendable {
        /// The service's action, called with `body`; the items are the answer's `list` member.
        case action(String, body: JSONObject, list: String)
        /// Rows made by the service.
        case rows(@Sendable () async throws -> [[String]])
    }

    package var title: String
    package var columns: [Column]
    package var source: Source

    package init(_ title: String, columns: [Column], action: String, body: JSONObject = [:], list: String) {
        self.title = title
        self.columns = columns
        source = .action(action, body: body, list: list)
    }

    package init(_ title: String, columns: [Column], rows: @escaping @Sendable () async throws -> [[String]]) {
        self.title = title
        self.columns = columns
        source = .rows(rows)
    }

    /// The most rows one view shows.
    package static let maximumRows = 1000

    /// The view's rows: the action's items, each cut into the columns.
    package func rows(of service: any BatonService) async throws -> [[String]] {
        switch source {
        case .rows(let make):
            return Array(try await make().prefix(Self.maximumRows))
        case .action(let name, let body, let list):
            guard let action = service.actions[name] else { throw ServiceError.unknownOperation(name) }
            let reply = try await action(ServiceCall(action: name, json: body))
            let answer = try JSONParser.parse(reply.body)
            let items = answer[list]?.arrayValue ?? []
            return items.prefix(Self.maximumRows).map { item in
                columns.map { column in
                    let value = column.member.isEmpty ? item : item[column.member]
                    switch value {
                    case .string(let s)?: return s
                    case nil, .null?: return ""
                    case let other?: return other.serialized
                    }
                }
            }
        }
    }
}
