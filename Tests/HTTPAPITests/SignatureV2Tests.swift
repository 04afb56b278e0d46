import HTTPAPI
import ServiceKit
import StatesLanguage
import Testing

/// S3's signature version 2, checked against the examples of AWS's "Signing and
/// authenticating REST requests" guide (its key pair and the signatures it prints).
@Suite struct SignatureV2Tests {
    let verifier = SigV4Verifier(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")

    /// (method, host, path, query, headers, AWS's signature).
    static let examples: [(String, String, String, String, [(String, String)], String)] = [
        // "Object GET": virtual-hosted, the Date header signed.
        ("GET", "awsexamplebucket1.s3.us-west-1.amazonaws.com", "/photos/puppy.jpg", "",
         [("date", "Tue, 27 Mar 2007 19:36:42 +0000")], "qgk2+6Sv9/oM7G3qLEjTH1a1l1g="),
        // "Object PUT": Content-Type and Date signed.
        ("PUT", "awsexamplebucket1.s3.us-west-1.amazonaws.com", "/photos/puppy.jpg", "",
         [("content-type", "image/jpeg"), ("content-length", "94328"), ("date", "Tue, 27 Mar 2007 21:15:45 +0000")],
         "iqRzw+ileNPu1fhspnRs8nOjjIA="),
        // "List": the query is not part of the resource, the bucket's own resource ends in "/".
        ("GET", "awsexamplebucket1.s3.us-west-1.amazonaws.com", "/", "prefix=photos&max-keys=50&marker=puppy",
         [("user-agent", "Mozilla/5.0"), ("date", "Tue, 27 Mar 2007 19:42:41 +0000")], "m0WP8eCtspQl5Ahe6L1SozdX9YA="),
        // "Fetch": a signed subresource.
        ("GET", "awsexamplebucket1.s3.us-west-1.amazonaws.com", "/", "acl",
         [("date", "Tue, 27 Mar 2007 19:44:46 +0000")], "82ZHiFIjc+WbcwFKGUVEQspPn+0="),
    ]

    @Test(arguments: examples)
    func awsExamplesVerify(_ method: String, _ host: String, _ path: String, _ query: String, _ headers: [(String, String)], _ signature: String) {
        let request = SigV4Verifier.SignedRequest(method: method, path: path, query: query,
                                                  headers: [("host", host), ("authorization", "AWS AKIAIOSFODNN7EXAMPLE:\(signature)")] + headers,
                                                  body: [])
        #expect(verifier.verify(request, now: Timestamp(seconds: 1_175_000_000)) == nil)
        var tampered = request
        tampered.path += "x"
        #expect(verifier.verify(tampered, now: Timestamp(seconds: 1_175_000_000))?.code == "SignatureDoesNotMatch")
    }

    /// The guide's "Query string request authentication" example (its older edition's bucket,
    /// johnsmith), and the same URL once it expired.
    @Test func aPresignedURLVerifiesUntilItExpires() {
        let request = SigV4Verifier.SignedRequest(
            method: "GET", path: "/photos/puppy.jpg",
            query: "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620",
            headers: [("host", "johnsmith.s3.amazonaws.com")], body: [])
        #expect(verifier.verify(request, now: Timestamp(seconds: 1_175_139_000)) == nil)
        #expect(verifier.verify(request, now: Timestamp(seconds: 1_175_139_621))?.message == "Request has expired")
    }
}

/// Where S3's version 2 ends: a presigned URL and an `Authorization: AWS` header are S3's; a
/// query API's own version 2 (`SignatureVersion=2` beside an `Action`) stays with its service.
@Suite struct SignatureV2RoutingTests {
    @Test func onlyS3sVersion2GoesToS3() async throws {
        let f = try await FrontDoorFixture()
        let host = [("host", "127.0.0.1:8083")]
        let presigned = f.door.destination(method: "GET", path: "/bucket/key", target: nil,
                                           query: "AWSAccessKeyId=AKID&Signature=abc%3D&Expires=1", headers: host)
        #expect(presigned?.service.name == "s3")
        let header = f.door.destination(method: "GET", path: "/bucket/key", target: nil, query: "",
                                        headers: host + [("authorization", "AWS AKID:abc=")])
        #expect(header?.service.name == "s3")
        let queryAPI = f.door.destination(method: "GET", path: "/", target: nil,
                                          query: "Action=ListQueues&AWSAccessKeyId=AKID&SignatureVersion=2&SignatureMethod=HmacSHA256&Signature=abc",
                                          headers: host)
        #expect(queryAPI?.service.name != "s3")
    }
}

/// A website endpoint's host goes to S3 unsigned and marked as such; an ordinary bucket host
/// does not, so an unsigned request to it is still refused.
@Suite struct WebsiteRoutingTests {
    @Test func onlyAWebsiteHostIsOpen() async throws {
        let f = try await FrontDoorFixture()
        let site = f.door.destination(method: "GET", path: "/docs/", target: nil, headers: [("host", "site.s3-website-us-east-1.localhost:8083")])
        #expect(site?.service.name == "s3" && site?.parameters["Website"] == "true" && site?.parameters["Key"] == "docs/")
        if case .open = site?.authentication {} else { Issue.record("a website endpoint takes no signature") }
        let bucket = f.door.destination(method: "GET", path: "/docs/", target: nil, headers: [("host", "site.s3.localhost:8083")])
        #expect(bucket?.parameters["Website"] == nil && bucket?.authentication == .sigV4)
    }
}
