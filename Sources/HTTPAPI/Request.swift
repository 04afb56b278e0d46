import StatesLanguage

/// A decoded JSON 1.0 request body with AWS-style checks on its members.
struct Request {
    let body: JSONObject

    func string(_ key: String) throws(APIError) -> String? {
        guard let v = body[key], !v.isNull else { return nil }
        guard case .string(let s) = v else {
            throw APIError.validation("1 validation error detected: Value at '\(key)' failed to satisfy constraint: Member must be a string")
        }
        return s
    }

    func required(_ key: String) throws(APIError) -> String {
        guard let s = try string(key) else {
            throw APIError.validation("1 validation error detected: Value null at '\(key)' failed to satisfy constraint: Member must not be null")
        }
        return s
    }

    func int(_ key: String) throws(APIError) -> Int? {
        guard let v = body[key], !v.isNull else { return nil }
        guard let i = v.integerValue, v.isNumber else {
            throw APIError.validation("1 validation error detected: Value at '\(key)' failed to satisfy constraint: Member must be an integer")
        }
        return Int(i)
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let v = body[key], !v.isNull else { return nil }
        guard case .bool(let b) = v else {
            throw APIError.validation("1 validation error detected: Value at '\(key)' failed to satisfy constraint: Member must be a boolean")
        }
        return b
    }

    /// maxResults (0 = default 100, at most 1000).
    func maxResults() throws(APIError) -> Int {
        let n = try int("maxResults") ?? 0
        guard n >= 0 && n <= 1000 else {
            throw APIError.validation("1 validation error detected: Value '\(n)' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000")
        }
        return n == 0 ? 100 : n
    }

    /// nextToken as an offset into a stable ordering.
    func offset() throws(APIError) -> Int {
        guard let t = try string("nextToken") else { return 0 }
        guard t.hasPrefix("o"), let n = Int(t.dropFirst()), n >= 0 else { throw APIError("InvalidToken", "Invalid Token: '\(t)'") }
        return n
    }

    /// A response with one page of `items` under `key`, and `nextToken` when more remain.
    func paged<T>(_ key: String, _ items: [T], _ render: (T) -> JSON) throws(APIError) -> JSON {
        let (page, next) = try page(items)
        var out = JSONObject()
        out[key] = .array(page.map(render))
        if let next { out["nextToken"] = .string(next) }
        return .object(out)
    }

    /// One page of `items` and the token for the next, if any.
    func page<T>(_ items: [T]) throws(APIError) -> ([T], String?) {
        let start = try offset(), size = try maxResults()
        guard start <= items.count else { throw APIError("InvalidToken", "Invalid Token: the token is past the end") }
        let end = min(items.count, start + size)
        return (Array(items[start..<end]), end < items.count ? "o\(end)" : nil)
    }
}
