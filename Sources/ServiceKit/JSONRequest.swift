import StatesLanguage

/// A decoded JSON request body with AWS-style checks on its members.
package struct JSONRequest: Sendable {
    package let body: JSONObject
    /// The caller's trace (see `TraceContext`), from the request's headers.
    package var traceHeader: String?
    /// The region the caller signed for (its SigV4 credential scope); nil when unsigned.
    package var region: String?

    package init(body: JSONObject, traceHeader: String? = nil, region: String? = nil) {
        self.body = body
        self.traceHeader = traceHeader
        self.region = region
    }

    package func string(_ key: String) throws(ServiceError) -> String? {
        guard let v = body[key], !v.isNull else { return nil }
        guard case .string(let s) = v else {
            throw ServiceError.validation("1 validation error detected: Value at '\(key)' failed to satisfy constraint: Member must be a string")
        }
        return s
    }

    package func required(_ key: String) throws(ServiceError) -> String {
        guard let s = try string(key) else {
            throw ServiceError.validation("1 validation error detected: Value null at '\(key)' failed to satisfy constraint: Member must not be null")
        }
        return s
    }

    package func int(_ key: String) throws(ServiceError) -> Int? {
        guard let v = body[key], !v.isNull else { return nil }
        guard let i = v.integerValue, v.isNumber else {
            throw ServiceError.validation("1 validation error detected: Value at '\(key)' failed to satisfy constraint: Member must be an integer")
        }
        return Int(i)
    }

    package func bool(_ key: String) throws(ServiceError) -> Bool? {
        guard let v = body[key], !v.isNull else { return nil }
        guard case .bool(let b) = v else {
            throw ServiceError.validation("1 validation error detected: Value at '\(key)' failed to satisfy constraint: Member must be a boolean")
        }
        return b
    }

    /// maxResults (0 = default 100, at most 1000).
    package func maxResults() throws(ServiceError) -> Int {
        let n = try int("maxResults") ?? 0
        guard n >= 0 && n <= 1000 else {
            throw ServiceError.validation("1 validation error detected: Value '\(n)' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000")
        }
        return n == 0 ? 100 : n
    }

    /// nextToken as an offset into a stable ordering.
    package func offset() throws(ServiceError) -> Int {
        guard let t = try string("nextToken") else { return 0 }
        guard t.hasPrefix("o"), let n = Int(t.dropFirst()), n >= 0 else { throw ServiceError("InvalidToken", "Invalid Token: '\(t)'") }
        return n
    }

    /// A response with one page of `items` under `key`, and `nextToken` when more remain.
    package func paged<T>(_ key: String, _ items: [T], _ render: (T) -> JSON) throws(ServiceError) -> JSON {
        let (page, next) = try page(items)
        var out = JSONObject()
        out[key] = .array(page.map(render))
        if let next { out["nextToken"] = .string(next) }
        return .object(out)
    }

    /// One page of `items` and the token for the next, if any.
    package func page<T>(_ items: [T]) throws(ServiceError) -> ([T], String?) {
        let start = try offset(), size = try maxResults()
        guard start <= items.count else { throw ServiceError("InvalidToken", "Invalid Token: the token is past the end") }
        let end = min(items.count, start + size)
        return (Array(items[start..<end]), end < items.count ? "o\(end)" : nil)
    }
}
