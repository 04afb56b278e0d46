/// How a request reaches a service's action. Each route is data, so the front door (and a
/// test) can enumerate every one of them: nothing reaches a service except through a route.
package enum WireProtocol: Sendable, Equatable {
    /// `POST /` with `X-Amz-Target: <prefix>.<Action>`; errors as `{"__type", "message"}`.
    /// `version` is "1.0" or "1.1" (the Content-Type's `application/x-amz-json-<version>`).
    case json(targetPrefix: String, version: String)
    /// Methods and paths, JSON bodies; errors with `x-amzn-ErrorType` and a status by kind (Lambda).
    case restJSON
    /// Form-encoded parameters with an `Action`, XML answers and `<ErrorResponse>` errors
    /// (SNS; SQS beside JSON). The service is the one named here once the request is read.
    case query(service: String)
    /// S3's REST-XML: a bucket in the path or the host, the action picked by the service from
    /// the method, path and query (`?uploads`, `?list-type=2`); bodies streamed both ways;
    /// errors as `<Error><Code>…</Code></Error>` with the status in the kind.
    case restXML
}

/// Who proves a request: AWS Signature Version 4 (every route, unless it says otherwise), or
/// the route's own scheme (a webhook's signature, checked by its service), named so a reader
/// of the route table sees every exemption.
package enum Authentication: Sendable, Equatable {
    case sigV4
    /// Signature Version 4, or the console's session cookie (a person who logged in to
    /// `/console` with the endpoint's key): the console's own reads, its live view among them.
    case sigV4OrSession
    case ownScheme(String)
    /// Answers anyone, and so must reveal nothing and change nothing (a liveness probe, the
    /// landing page); the reason is named in the route table.
    case open(String)
}

/// One REST route: a method, a path pattern (`/2015-03-31/functions/{FunctionName}/invocations`),
/// the action it calls, and the largest body it takes.
package struct RESTRoute: Sendable {
    package var method: String
    package var path: PathPattern
    package var action: String
    package var authentication: Authentication
    package var maximumBodyBytes: Int

    package init(_ method: String, _ path: String, action: String, authentication: Authentication = .sigV4,
                 maximumBodyBytes: Int = 6 * 1024 * 1024) {
        self.method = method
        self.path = PathPattern(path)
        self.action = action
        self.authentication = authentication
        self.maximumBodyBytes = maximumBodyBytes
    }
}

/// A path with `{name}` segments; `{name+}` takes the rest of the path.
package struct PathPattern: Sendable, CustomStringConvertible {
    enum Segment: Sendable { case literal(String), parameter(String), rest(String) }
    let segments: [Segment]
    package let description: String

    package init(_ text: String) {
        description = text
        segments = text.split(separator: "/").map { part in
            if part.hasPrefix("{") && part.hasSuffix("+}") { return .rest(String(part.dropFirst().dropLast(2))) }
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
    }

    /// The first segment when it is literal (what a route table files the pattern under).
    package var leadingLiteral: String? {
        if case .literal(let l)? = segments.first { return l }
        return nil
    }

    /// The path's parameters (percent-decoded), or nil when it does not match.
    package func match(_ path: String) -> [String: String]? {
        match(segments: path.split(separator: "/", omittingEmptySubsequences: true))
    }

    /// As `match(_:)`, for a path already split at its slashes (empty segments left out), so
    /// that a table of routes splits each request's path once.
    package func match(segments parts: [Substring]) -> [String: String]? {
        var out: [String: String] = [:]
        var i = 0
        for segment in segments {
            switch segment {
            case .literal(let l):
                guard i < parts.count, parts[i] == l else { return nil }
            case .parameter(let name):
                guard i < parts.count else { return nil }
                out[name] = String(parts[i]).percentDecoded
            case .rest(let name):
                guard i < parts.count else { return nil }
                out[name] = parts[i...].joined(separator: "/").percentDecoded
                return out
            }
            i += 1
        }
        return i == parts.count ? out : nil
    }

    /// A path that matches this pattern (each parameter filled with `x`), for tests that walk every route.
    package var example: String {
        "/" + segments.map { s -> String in
            switch s {
            case .literal(let l): return l
            case .parameter, .rest: return "x"
            }
        }.joined(separator: "/")
    }
}

extension String {
    /// `%XX` decoded as UTF-8; malformed escapes are kept as they are.
    package var percentDecoded: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        let utf8 = Array(self.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "%"), i + 2 < utf8.count, let h = hexValue(utf8[i + 1]), let l = hexValue(utf8[i + 2]) {
                bytes.append(h << 4 | l)
                i += 3
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}
