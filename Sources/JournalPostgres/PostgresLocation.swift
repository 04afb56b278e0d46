import Foundation
import Journal

/// Where a PostgreSQL journal lives: a `postgres://` (or `postgresql://`) URL, parsed once.
///
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME&pool=N&sslmode=disable]`.
/// `schema` (Baton's own parameter) keeps Baton's tables in one schema, created if absent, so
/// one database can hold several independent Baton deployments (and the tests' throwaway
/// ones); `pool` is the connection pool's size.
package struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String
    package var schema: String
    package var poolSize: Int

    package init(host: String, port: Int = 5432, user: String, password: String? = nil, database: String,
                 schema: String = "public", poolSize: Int = 8) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.schema = schema
        self.poolSize = poolSize
    }

    /// Parses the URL; the error names what is wrong with it.
    package init(url text: String) throws(JournalError) {
        guard let c = URLComponents(string: text), let scheme = c.scheme, ["postgres", "postgresql"].contains(scheme.lowercased()) else {
            throw JournalError(.postgres("08000"), "not a PostgreSQL URL (postgres://user@host:port/database): \(Self.redacted(text))")
        }
        guard let host = c.host, !host.isEmpty else { throw JournalError(.postgres("08000"), "the PostgreSQL URL names no host") }
        guard let user = c.user, !user.isEmpty else { throw JournalError(.postgres("08000"), "the PostgreSQL URL names no user") }
        let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        self.init(host: host, port: c.port ?? 5432, user: user, password: c.password, database: database.isEmpty ? user : database)
        for item in c.queryItems ?? [] {
            switch item.name {
            case "schema":
                guard let v = item.value, Self.isIdentifier(v) else {
                    throw JournalError(.postgres("08000"), "schema must be letters, digits and underscores, starting with a letter: \(item.value ?? "")")
                }
                schema = v
            case "pool":
                guard let n = item.value.flatMap(Int.init), (1...500).contains(n) else {
                    throw JournalError(.postgres("08000"), "pool must be a number of connections from 1 to 500: \(item.value ?? "")")
                }
                poolSize = n
            case "sslmode":
                // TLS to the database is not offered yet; say so rather than connect in clear.
                guard item.value == "disable" || item.value == "prefer" || item.value == "allow" else {
                    throw JournalError(.postgres("08000"), "sslmode=\(item.value ?? "") is not supported: Baton connects without TLS (sslmode=disable)")
                }
            default:
                throw JournalError(.postgres("08000"), "unknown parameter '\(item.name)' in the PostgreSQL URL (schema, pool, sslmode)")
            }
        }
    }

    /// A lowercase-or-underscore identifier, safe to splice into SQL unquoted.
    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, s.unicodeScalars.count <= 63 else { return false }
        return (first == "_" || ("a"..."z").contains(first) || ("A"..."Z").contains(first))
            && s.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    /// The URL with its password hidden, for logs and errors.
    package var description: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?schema=\(schema)&pool=\(poolSize)"
    }

    static func redacted(_ text: String) -> String {
        guard var c = URLComponents(string: text), c.password != nil else { return text }
        c.password = "***"
        return c.string ?? "(unparsable URL)"
    }
}
