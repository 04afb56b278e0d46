import ServiceKit
import StatesLanguage
import Testing
@testable import Objects

/// CORS rules as S3 evaluates them: the first rule taking the origin (one `*` allowed), the
/// method and every requested header (case-insensitive); S3's refusals of a configuration.
@Suite struct CORSTests {
    static let configuration = CORSConfiguration(rules: [
        .init(origins: ["http://*.origin.com"], methods: ["GET", "PUT"], headers: ["*"], maxAge: 3000),
        .init(origins: ["https://localhost:4200"], methods: ["GET"], headers: ["x-amz-expected-bucket-owner", "x-AMZ-server-SIDE-encryption"]),
        .init(origins: ["*"], methods: ["HEAD"]),
    ])

    /// (origin, method, requested headers, the index of the rule that answers, or nil).
    static let preflights: [(String, String, [String], Int?)] = [
        ("http://test.origin.com", "GET", [], 0),
        ("http://test.origin.com", "PUT", ["content-type", "x-amz-meta-a"], 0),
        ("http://test.origin.com/", "GET", [], nil),
        ("http://origin.com", "GET", [], nil),
        ("http://test.origin.com", "DELETE", [], nil),
        ("https://localhost:4200", "GET", ["x-amz-expected-bucket-owner", "x-amz-server-side-encryption"], 1),
        ("https://localhost:4200", "GET", ["x-amz-request-payer"], nil),
        ("https://anywhere.example", "HEAD", [], 2),
        ("https://anywhere.example", "GET", [], nil),
    ]

    @Test(arguments: preflights)
    func aPreflightIsAnsweredByTheFirstRuleTakingIt(_ origin: String, _ method: String, _ headers: [String], _ index: Int?) {
        let rule = Self.configuration.preflight(origin: origin, method: method, requestHeaders: headers)
        #expect(rule == index.map { Self.configuration.rules[$0] })
    }

    @Test func aMatchedRuleAnswersWithS3sHeaders() {
        let specific = CORSConfiguration.headers(Self.configuration.rules[0], origin: "http://a.origin.com", allowHeaders: "content-type")
        #expect(specific.first { $0.0 == "Access-Control-Allow-Origin" }?.1 == "http://a.origin.com")
        #expect(specific.first { $0.0 == "Access-Control-Allow-Credentials" }?.1 == "true")
        #expect(specific.first { $0.0 == "Access-Control-Allow-Methods" }?.1 == "GET, PUT")
        #expect(specific.first { $0.0 == "Access-Control-Max-Age" }?.1 == "3000")
        let open = CORSConfiguration.headers(Self.configuration.rules[2], origin: "https://x", allowHeaders: nil)
        #expect(open.first { $0.0 == "Access-Control-Allow-Origin" }?.1 == "*")
        #expect(!open.contains { $0.0 == "Access-Control-Allow-Credentials" }, "no credentials with a wildcard origin")
    }

    static func parse(_ rules: String) throws(ServiceError) -> CORSConfiguration {
        guard let root = XMLElementTree.parse(Array("<CORSConfiguration>\(rules)</CORSConfiguration>".utf8)) else { throw S3Errors.malformedXML() }
        return try CORSConfiguration(xml: root)
    }

    /// (rules, S3's error code).
    static let refused: [(String, String)] = [
        ("", "MalformedXML"),
        ("<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>", "MalformedXML"),
        ("<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>MYMETHOD</AllowedMethod></CORSRule>",
         "InvalidRequest"),
        ("<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule>",
         "MalformedXML"),
    ]

    @Test(arguments: refused)
    func aConfigurationS3RefusesIsRefused(_ rules: String, _ code: String) {
        #expect(throws: ServiceError(code, "")) { _ = try Self.parse(rules) }
    }

    @Test func aConfigurationIsKeptAsGivenWithAnEmptyOrigin() throws {
        let c = try Self.parse("<CORSRule><AllowedOrigin></AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod></CORSRule>")
        #expect(c.rules.first?.origins == [""])
        #expect(CORSConfiguration(json: c.json) == c)
    }
}
