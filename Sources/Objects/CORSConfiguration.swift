import ServiceKit
import StatesLanguage

/// A bucket's CORS configuration (`PUT ?cors`), checked as S3 checks it, kept as JSON, and
/// evaluated for preflight (`OPTIONS`) and actual requests. S3's rule: "Amazon S3 evaluates
/// the cors configuration on the bucket and uses the first CORSRule rule that matches the
/// incoming browser request": the origin, the method, and for a preflight every header of
/// Access-Control-Request-Headers.
struct CORSConfiguration: Sendable, Equatable {
    struct Rule: Sendable, Equatable {
        var id: String?
        var origins: [String]
        var methods: [String]
        var headers: [String] = []
        var exposed: [String] = []
        var maxAge: Int?

        func allows(origin: String) -> Bool { origins.contains { Self.wildcard($0, origin, caseInsensitive: false) } }
        func allows(method: String) -> Bool { methods.contains(method) }
        func allows(header: String) -> Bool { headers.contains { Self.wildcard($0, header, caseInsensitive: true) } }

        /// One `*` may stand for any run of characters (S3 allows one per origin or header).
        static func wildcard(_ pattern: String, _ value: String, caseInsensitive: Bool) -> Bool {
            let p = caseInsensitive ? pattern.lowercased() : pattern
            let v = caseInsensitive ? value.lowercased() : value
            guard let star = p.firstIndex(of: "*") else { return p == v }
            let head = p[..<star]
            let tail = p[p.index(after: star)...]
            return v.count >= head.count + tail.count && v.hasPrefix(head) && v.hasSuffix(tail)
        }
    }

    var rules: [Rule]

    static let methods: Set<String> = ["GET", "PUT", "HEAD", "POST", "DELETE"]

    init(rules: [Rule]) { self.rules = rules }

    /// Parses and checks a PUT's document, with S3's errors.
    init(xml root: XMLElementTree.Node) throws(ServiceError) {
        guard root.name == "CORSConfiguration" else { throw S3Errors.malformedXML() }
        rules = []
        for node in root.all("CORSRule") {
            let origins = node.all("AllowedOrigin").map(\.text)
            let methods = node.all("AllowedMethod").map(\.text)
            guard !origins.isEmpty, !methods.isEmpty else { throw S3Errors.malformedXML() }
            if let bad = methods.first(where: { !Self.methods.contains($0) }) {
                throw ServiceError("InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is \(bad)")
            }
            var maxAge: Int?
            if let text = node.value("MaxAgeSeconds") {
                guard let n = Int(text.trimmed) else { throw S3Errors.malformedXML() }
                maxAge = n
            }
            rules.append(Rule(id: node.value("ID"), origins: origins, methods: methods, headers: node.all("AllowedHeader").map(\.text),
                              exposed: node.all("ExposeHeader").map(\.text), maxAge: maxAge))
        }
        // AWS: at most 100 rules, at least one.
        guard !rules.isEmpty, rules.count <= 100 else { throw S3Errors.malformedXML() }
    }

    // MARK: kept as JSON

    var json: JSON {
        .array(rules.map { r in
            var o = JSONObject()
            if let id = r.id { o["ID"] = .string(id) }
            o["AllowedOrigins"] = .array(r.origins.map { .string($0) })
            o["AllowedMethods"] = .array(r.methods.map { .string($0) })
            o["AllowedHeaders"] = .array(r.headers.map { .string($0) })
            o["ExposeHeaders"] = .array(r.exposed.map { .string($0) })
            if let m = r.maxAge { o["MaxAgeSeconds"] = .int(Int64(m)) }
            return .object(o)
        })
    }

    init(json: JSON) {
        func strings(_ v: JSON?) -> [String] { (v?.arrayValue ?? []).compactMap(\.stringValue) }
        rules = (json.arrayValue ?? []).map { r in
            Rule(id: r["ID"]?.stringValue, origins: strings(r["AllowedOrigins"]), methods: strings(r["AllowedMethods"]),
                 headers: strings(r["AllowedHeaders"]), exposed: strings(r["ExposeHeaders"]), maxAge: r["MaxAgeSeconds"]?.integerValue.map(Int.init))
        }
    }

    /// GET's document, in S3's element names.
    func write(_ w: inout XMLWriter) {
        for r in rules {
            w.raw("<CORSRule>")
            if let id = r.id { w.element("ID", id) }
            for h in r.headers { w.element("AllowedHeader", h) }
            for m in r.methods { w.element("AllowedMethod", m) }
            for o in r.origins { w.element("AllowedOrigin", o) }
            for e in r.exposed { w.element("ExposeHeader", e) }
            if let m = r.maxAge { w.element("MaxAgeSeconds", String(m)) }
            w.raw("</CORSRule>")
        }
    }

    // MARK: evaluation

    /// The first rule taking a preflight's origin, method and requested headers.
    func preflight(origin: String, method: String, requestHeaders: [String]) -> Rule? {
        rules.first { r in r.allows(origin: origin) && r.allows(method: method) && requestHeaders.allSatisfy(r.allows(header:)) }
    }

    /// The first rule taking an actual request's origin and method.
    func actual(origin: String, method: String) -> Rule? {
        rules.first { $0.allows(origin: origin) && $0.allows(method: method) }
    }

    /// The headers S3 answers a matched request with. A rule open to every origin (`*`) says
    /// `*` and no credentials; otherwise the origin is echoed and credentials allowed.
    static func headers(_ rule: Rule, origin: String, allowHeaders: String?) -> [(String, String)] {
        var out: [(String, String)] = []
        if rule.origins.contains("*") {
            out.append(("Access-Control-Allow-Origin", "*"))
        } else {
            out.append(("Access-Control-Allow-Origin", origin))
            out.append(("Access-Control-Allow-Credentials", "true"))
        }
        out.append(("Access-Control-Allow-Methods", rule.methods.joined(separator: ", ")))
        if let allowHeaders, !allowHeaders.isEmpty { out.append(("Access-Control-Allow-Headers", allowHeaders)) }
        if !rule.exposed.isEmpty { out.append(("Access-Control-Expose-Headers", rule.exposed.joined(separator: ", "))) }
        if let m = rule.maxAge { out.append(("Access-Control-Max-Age", String(m))) }
        out.append(("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"))
        return out
    }
}
