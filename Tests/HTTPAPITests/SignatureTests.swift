import Engine
import HTTPAPI
import ServiceKit
import StatesLanguage
import Testing

@Suite struct SignatureTests {
    /// Every route and action of every service in the services list, unsigned: each is refused
    /// before its service sees it, except the routes that declare a scheme of their own.
    @Test func everyRegisteredRouteRefusesAnUnsignedRequest() async throws {
        let f = try await FrontDoorFixture()
        let entries = f.door.everyEntry
        var exempt: [String] = []
        var refused = 0
        for entry in entries {
            var headers: [(String, String)] = [("host", entry.host ?? "127.0.0.1:8083")]
            if let target = entry.target { headers.append(("x-amz-target", target)) }
            // Query-protocol actions are listed as `/?Action=…`.
            let parts = entry.path.split(separator: "?", maxSplits: 1).map(String.init)
            let out = await f.door.handle(.init(method: entry.method, path: parts[0], query: parts.count > 1 ? parts[1] : "",
                                                headers: headers, body: Array("{}".utf8)))
            switch entry.authentication {
            case .ownScheme, .open:
                exempt.append("\(entry.method) \(entry.path)")
                continue
            case .sigV4, .sigV4OrSession:
                break
            }
            // S3 words it its own way.
            #expect(out.code == (entry.host == nil ? "MissingAuthenticationTokenException" : "AccessDenied"),
                    "\(entry.method) \(entry.path) \(entry.target ?? "") answered \(out.status)")
            #expect(out.status == 400 || out.status == 403)
            refused += 1
        }
        // The webhook receiver, whose senders prove themselves by the webhook's signature, the
        // endpoint's probe and landing page, which reveal nothing, and SNS's public signing
        // certificate: no other exemption.
        // The console's page and scripts, its login (which checks the key itself) and logout
        // (which only clears a cookie).
        #expect(exempt.sorted() == ["GET /", "GET /SimpleNotificationService-baton.pem", "GET /console", "GET /console/assets/x", "GET /health",
                                    "GET /health/live", "GET /health/ready", "POST /console/login", "POST /console/logout", "POST /webhooks/x"])
        // Step Functions' 37 actions, Lambda's routes, the webhook admin API, SQS's 23
        // actions in both protocols and S3's requests at least.
        #expect(refused >= 37 + 10 + 6 + 2 * 23 + 6)
    }

    /// The probe and the landing page answer without a signature even when one is required,
    /// and say nothing but that Baton runs.
    @Test func healthAndTheLandingPageAreOpen() async throws {
        let f = try await FrontDoorFixture()
        let health = await f.door.handle(.init(method: "GET", path: "/health", headers: [("host", "h")]))
        #expect(health.status == 200 && health.json?["status"] == "ok" && health.json?["version"]?.stringValue == BatonRelease.version)
        let page = await f.door.handle(.init(method: "GET", path: "/", headers: [("host", "h")]))
        #expect(page.status == 200 && page.header("content-type")?.hasPrefix("text/html") == true)
        #expect(String(decoding: page.body, as: UTF8.self).contains("README"))
        // Anything else stays closed.
        let other = await f.door.handle(.init(method: "GET", path: "/healthz", headers: [("host", "h")]))
        #expect(other.status == 404)
    }

    /// Liveness answers while the process serves; readiness only while the journal answers.
    @Test func readinessFollowsTheJournal() async throws {
        let f = try await FrontDoorFixture()
        let live = await f.door.handle(.init(method: "GET", path: "/health/live", headers: [("host", "h")]))
        #expect(live.status == 200 && live.json?["status"] == "live")
        let ready = await f.door.handle(.init(method: "GET", path: "/health/ready", headers: [("host", "h")]))
        #expect(ready.status == 200 && ready.json?["status"] == "ready")
        let down = FrontDoor(services: [], verifier: nil, clock: { FrontDoorFixture.now }, readiness: { "the journal does not answer: gone" })
        let unready = await down.handle(.init(method: "GET", path: "/health/ready", headers: [("host", "h")]))
        #expect(unready.status == 503 && unready.json?["reason"]?.stringValue == "the journal does not answer: gone")
        #expect(await down.handle(.init(method: "GET", path: "/health/live", headers: [("host", "h")])).status == 200)
    }

    @Test func theExemptReceiverStillChecksItsOwnScheme() async throws {
        let f = try await FrontDoorFixture()
        let out = await f.door.handle(.init(method: "POST", path: "/webhooks/nope", headers: [("host", "h")], body: Array("{}".utf8)))
        #expect(out.status == 404 && out.code == "ResourceNotFoundException")
    }

    @Test func aGoodSignatureIsAcceptedOnEveryProtocol() async throws {
        let f = try await FrontDoorFixture()
        let list = await f.door.handle(f.signed("POST", "/", target: "AWSStepFunctions.ListStateMachines", body: "{}"))
        #expect(list.status == 200 && list.json?["stateMachines"] != nil)
        // A function ARN in the path: signed URI-encoded twice, as SDKs do for every service but S3.
        let path = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Anope"
        let get = await f.door.handle(f.signed("GET", path, service: "lambda"))
        #expect(get.status == 404 && get.code == "ResourceNotFoundException")
        let deliveries = await f.door.handle(f.signed("GET", "/baton/webhooks/nope/deliveries", query: "limit=5&key=a%20b", service: "baton"))
        #expect(deliveries.status == 404 && deliveries.code == "ResourceNotFoundException")
    }

    @Test(arguments: [
        ("wrong secret", "InvalidSignatureException"),
        ("other key", "UnrecognizedClientException"),
        ("sixteen minutes early", "InvalidSignatureException"),
        ("body changed", "InvalidSignatureException"),
    ])
    func aBadSignatureIsRefusedAndChangesNothing(_ case_: String, _ code: String) async throws {
        let f = try await FrontDoorFixture()
        let create = #"{"name":"m","definition":"{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}","roleArn":"arn:aws:iam::1:role/r"}"#
        var request: FrontDoor.Incoming
        switch case_ {
        case "wrong secret": request = f.signed("POST", "/", target: "AWSStepFunctions.CreateStateMachine", body: create, secret: "nope")
        case "other key":
            request = f.signed("POST", "/", target: "AWSStepFunctions.CreateStateMachine", body: create)
            request.headers = request.headers.map { $0.0 == "authorization" ? ($0.0, $0.1.replacingOccurrences(of: FrontDoorFixture.key, with: "AKIDOTHER")) : $0 }
        case "sixteen minutes early":
            request = f.signed("POST", "/", target: "AWSStepFunctions.CreateStateMachine", body: create,
                               at: FrontDoorFixture.now.adding(seconds: -16 * 60))
        default:
            request = f.signed("POST", "/", target: "AWSStepFunctions.CreateStateMachine", body: create)
            request.body = Array(create.replacingOccurrences(of: "\"m\"", with: "\"n\"").utf8)
        }
        let out = await f.door.handle(request)
        #expect(out.code == code)
        let list = await f.door.handle(f.signed("POST", "/", target: "AWSStepFunctions.ListStateMachines", body: "{}"))
        #expect(list.json?["stateMachines"]?.arrayValue?.isEmpty == true)
    }

    @Test func presignedRequestsWorkUntilTheyExpire() async throws {
        let f = try await FrontDoorFixture()
        let signer = SigV4Signer(accessKeyId: FrontDoorFixture.key, secretAccessKey: FrontDoorFixture.secret, service: "lambda")
        let path = "/2015-03-31/functions"
        let query = signer.presign(method: "GET", path: path, query: "MaxItems=5", host: "127.0.0.1:8083", at: FrontDoorFixture.now, expires: 60)
        let request = FrontDoor.Incoming(method: "GET", path: path, query: query, headers: [("host", "127.0.0.1:8083")])
        f.clock.value = FrontDoorFixture.now.adding(seconds: 59)
        let fresh = await f.door.handle(request)
        #expect(fresh.status == 200 && fresh.json?["Functions"] != nil)
        f.clock.value = FrontDoorFixture.now.adding(seconds: 61)
        let stale = await f.door.handle(request)
        #expect(stale.status == 403 && stale.code == "AccessDenied")
        // A tampered query (another parameter's value) no longer matches.
        f.clock.value = FrontDoorFixture.now
        var tampered = request
        tampered.query = query.replacingOccurrences(of: "MaxItems=5", with: "MaxItems=6")
        #expect(await f.door.handle(tampered).code == "InvalidSignatureException")
    }
}
