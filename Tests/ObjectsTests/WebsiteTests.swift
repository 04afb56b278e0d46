import Foundation
import ServiceKit
import StatesLanguage
import Testing
@testable import Objects

/// The website endpoint as the front door hands it over (marked `Website`, unsigned): index
/// documents and the folder redirect, routing rules in order, the error document, HTML error
/// pages, and nothing served that the bucket does not make public.
@Suite struct WebsiteTests {
    static func site(_ f: ObjectStoreTests.Fixture, _ method: String, _ key: String, headers: [String: String] = [:]) async throws -> ServiceReply {
        var c = ServiceCall(action: "S3", method: method, parameters: ["Bucket": "site", "Key": key, "Website": "true"], query: [:],
                            headers: ["host": "site.s3-website-us-east-1.localhost:8083"].merging(headers) { $1 })
        c.bodyStream = BodyStream.bytes([], chunk: 7)
        return try await f.s3.dispatch(c)
    }

    static let config = """
        <WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument><ErrorDocument><Key>error.html</Key></ErrorDocument>
        <RoutingRules>
        <RoutingRule><Condition><KeyPrefixEquals>old/</KeyPrefixEquals></Condition><Redirect><ReplaceKeyPrefixWith>new/</ReplaceKeyPrefixWith><HttpRedirectCode>307</HttpRedirectCode></Redirect></RoutingRule>
        <RoutingRule><Condition><KeyPrefixEquals>gone/</KeyPrefixEquals><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition><Redirect><HostName>elsewhere</HostName></Redirect></RoutingRule>
        </RoutingRules></WebsiteConfiguration>
        """

    @Test func aPublicSiteIsServedAndAPrivateObjectIsNot() async throws {
        let f = try await ObjectStoreTests.Fixture()
        _ = try await f.call("PUT", "site")
        // Before a configuration, the endpoint says so (as a page).
        let none = try await Self.site(f, "GET", "")
        #expect(none.status == 404 && String(decoding: none.body, as: UTF8.self).contains("<li>Code: NoSuchWebsiteConfiguration</li>"))
        _ = try await f.call("PUT", "site", query: ["website": ""], body: Array(Self.config.utf8))
        let pub = ["x-amz-acl": "public-read"]
        _ = try await f.call("PUT", "site", "index.html", headers: pub, body: Array("home".utf8))
        _ = try await f.call("PUT", "site", "docs/index.html", headers: pub, body: Array("docs".utf8))
        _ = try await f.call("PUT", "site", "secret", body: Array("private".utf8))

        #expect(try await f.read(try await Self.site(f, "GET", "")) == Array("home".utf8))
        let folder = try await Self.site(f, "GET", "docs")
        #expect(folder.status == 302 && f.header(folder, "Location") == "/docs/")
        #expect(try await f.read(try await Self.site(f, "GET", "docs/")) == Array("docs".utf8))
        let hidden = try await Self.site(f, "GET", "secret")
        #expect(hidden.status == 403 && String(decoding: hidden.body, as: UTF8.self).contains("<li>Code: AccessDenied</li>"))
        let post = try await Self.site(f, "POST", "index.html")
        #expect(post.status == 405 && String(decoding: post.body, as: UTF8.self).contains("<li>Method: POST</li>"))
        let delete = try await Self.site(f, "DELETE", "index.html")
        #expect(delete.status == 405)
        #expect(try await f.call("HEAD", "site", "index.html").status == 200, "a website request changes nothing")

        // Rules: by prefix first; by a 404 next; then the error document (once it is public).
        let moved = try await Self.site(f, "GET", "old/page")
        #expect(moved.status == 307 && f.header(moved, "Location") == "http://site.s3-website-us-east-1.localhost:8083/new/page")
        let gone = try await Self.site(f, "GET", "gone/page")
        #expect(gone.status == 301 && f.header(gone, "Location") == "http://elsewhere/gone/page")
        let missing = try await Self.site(f, "GET", "nothing/")
        #expect(missing.status == 404 && String(decoding: missing.body, as: UTF8.self).contains("<li>Key: nothing/index.html</li>"))
        _ = try await f.call("PUT", "site", "error.html", headers: pub, body: Array("oops".utf8))
        let error = try await Self.site(f, "GET", "nothing")
        #expect(error.status == 404)
        #expect(try await f.read(error) == Array("oops".utf8))
    }
}
