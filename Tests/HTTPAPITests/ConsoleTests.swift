import Engine
import Foundation
import HTTPAPI
import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage
import Testing

/// The console behind a front door that requires signatures: its page is open, its data is
/// not, and a login with the endpoint's key gives a cookie that stands in for a signature.
@Suite struct ConsoleTests {
    static func login(_ f: FrontDoorFixture, key: String = FrontDoorFixture.key, secret: String = FrontDoorFixture.secret) async -> FrontDoor.Outgoing {
        let body = JSON.object(["accessKeyId": .string(key), "secretAccessKey": .string(secret)]).serialized
        return await f.door.handle(.init(method: "POST", path: "/console/login", headers: [("host", "h"), ("content-type", "application/json")],
                                         body: Array(body.utf8)))
    }

    /// The cookie's `name=value`, from a login's Set-Cookie.
    static func cookie(_ out: FrontDoor.Outgoing) -> String? {
        out.header("set-cookie")?.split(separator: ";").first.map(String.init)
    }

    @Test func thePageAndItsScriptsAreServedToAnyone() async throws {
        let f = try await FrontDoorFixture()
        let page = await f.door.handle(.init(method: "GET", path: "/console", headers: [("host", "h")]))
        #expect(page.status == 200 && page.header("content-type")?.hasPrefix("text/html") == true)
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(html.contains("/console/assets/console.js") && html.contains("/console/assets/graph.js"))
        #expect(page.header("content-security-policy")?.contains("default-src 'self'") == true && page.header("x-frame-options") == "DENY")
        for (name, type) in [("console.js", "text/javascript"), ("graph.js", "text/javascript"), ("status.js", "text/javascript"), ("console.css", "text/css")] {
            let asset = await f.door.handle(.init(method: "GET", path: "/console/assets/\(name)", headers: [("host", "h")]))
            #expect(asset.status == 200 && asset.header("content-type")?.hasPrefix(type) == true && asset.body.count > 500, "\(name)")
        }
        let missing = await f.door.handle(.init(method: "GET", path: "/console/assets/secrets.txt", headers: [("host", "h")]))
        #expect(missing.status == 404)
    }

    @Test func theConsolesDataNeedsASignatureOrASession() async throws {
        let f = try await FrontDoorFixture()
        for path in ["/console/api/session", "/console/api/executions", "/console/api/watch"] {
            let out = await f.door.handle(.init(method: "GET", path: path, headers: [("host", "h")]))
            #expect(out.status == 403 && out.code == "MissingAuthenticationTokenException", "\(path)")
            // A cookie this endpoint did not issue is no session.
            let forged = await f.door.handle(.init(method: "GET", path: path, headers: [("host", "h"), ("cookie", "baton_console=99999999999.abcd")]))
            #expect(forged.status == 403, "\(path)")
        }
        let signed = await f.door.handle(f.signed("GET", "/console/api/session"))
        #expect(signed.status == 200 && signed.json?["signatureRequired"] == true)
    }

    @Test func aLoginWithTheKeyGivesACookieThatActsForASignature() async throws {
        let f = try await FrontDoorFixture()
        let wrong = await Self.login(f, secret: "not-it")
        #expect(wrong.status == 403 && wrong.code == "UnrecognizedClientException" && wrong.header("set-cookie") == nil)
        let wrongKey = await Self.login(f, key: "AKIDOTHER")
        #expect(wrongKey.status == 403)
        let ok = await Self.login(f)
        #expect(ok.status == 200)
        let setCookie = try #require(ok.header("set-cookie"))
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
        let cookie = try #require(Self.cookie(ok))
        let session = await f.door.handle(.init(method: "GET", path: "/console/api/session", headers: [("host", "h"), ("cookie", "other=1; " + cookie)]))
        #expect(session.status == 200)
        // Step Functions' actions take it too, as the console calls them (X-Amz-Target set).
        let list = await f.door.handle(.init(method: "POST", path: "/", headers: [("host", "h"), ("cookie", cookie),
                                                                                  ("x-amz-target", "AWSStepFunctions.ListStateMachines")],
                                             body: Array("{}".utf8)))
        #expect(list.status == 200 && list.json?["stateMachines"] != nil)
        // A route that takes only signatures does not (the webhook admin API's writes).
        let write = await f.door.handle(.init(method: "DELETE", path: "/baton/webhooks/x", headers: [("host", "h"), ("cookie", cookie)]))
        #expect(write.status == 403)
        // Past its twelve hours the cookie is refused.
        f.clock.value = FrontDoorFixture.now.adding(seconds: ConsoleSessions.lifetimeSeconds + 1)
        let expired = await f.door.handle(.init(method: "GET", path: "/console/api/session", headers: [("host", "h"), ("cookie", cookie)]))
        #expect(expired.status == 403)
        // A logout clears it.
        let out = await f.door.handle(.init(method: "POST", path: "/console/logout", headers: [("host", "h")]))
        #expect(out.status == 200 && out.header("set-cookie")?.contains("Max-Age=0") == true)
    }

    @Test func aCookieSignedWithAnotherSecretIsRefused() async throws {
        let other = ConsoleSessions(accessKeyId: FrontDoorFixture.key, secretAccessKey: "another", now: { FrontDoorFixture.now })
        let value = try #require(other.issue(accessKeyId: FrontDoorFixture.key, secretAccessKey: "another", now: FrontDoorFixture.now))
        let f = try await FrontDoorFixture()
        let out = await f.door.handle(.init(method: "GET", path: "/console/api/session", headers: [("host", "h"), ("cookie", "baton_console=" + value)]))
        #expect(out.status == 403)
        let ours = ConsoleSessions(accessKeyId: FrontDoorFixture.key, secretAccessKey: FrontDoorFixture.secret, now: { FrontDoorFixture.now })
        #expect(!ours.isValid(value, now: FrontDoorFixture.now))
        #expect(!ours.isValid("garbage", now: FrontDoorFixture.now) && !ours.isValid("", now: FrontDoorFixture.now))
    }

    @Test func theExecutionListFiltersAndPagesAcrossMachines() async throws {
        let f = try await FrontDoorFixture()
        let cookie = try #require(Self.cookie(await Self.login(f)))
        func call(_ target: String, _ body: JSONObject) async -> FrontDoor.Outgoing {
            await f.door.handle(.init(method: "POST", path: "/", headers: [("host", "h"), ("cookie", cookie), ("x-amz-target", "AWSStepFunctions." + target)],
                                      body: Array(JSON.object(body).serialized.utf8)))
        }
        let definition = #"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}"#
        var machines: [String] = []
        for name in ["alpha", "beta"] {
            let made = await call("CreateStateMachine", ["name": .string(name), "definition": .string(definition),
                                                         "roleArn": "arn:aws:iam::000000000000:role/r"])
            machines.append(try #require(made.json?["stateMachineArn"]?.stringValue))
        }
        for i in 0..<7 {
            let out = await call("StartExecution", ["stateMachineArn": .string(machines[i % 2]), "name": .string("run-\(i)")])
            #expect(out.status == 200)
        }
        func list(_ query: String) async -> FrontDoor.Outgoing {
            await f.door.handle(.init(method: "GET", path: "/console/api/executions", query: query, headers: [("host", "h"), ("cookie", cookie)]))
        }
        var names: [String] = []
        var token: String?
        repeat {
            let page = await list("maxResults=3" + (token.map { "&nextToken=" + $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! } ?? ""))
            #expect(page.status == 200)
            names += page.json?["executions"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            token = page.json?["nextToken"]?.stringValue
        } while token != nil
        #expect(names.sorted() == (0..<7).map { "run-\($0)" })
        let beta = await list("stateMachineArn=" + machines[1].addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        #expect(beta.json?["executions"]?.arrayValue?.count == 3)
        let named = await list("namePrefix=run-6&statusFilter=RUNNING")
        #expect(named.json?["executions"]?.arrayValue?.map { $0["name"]?.stringValue } == ["run-6"])
        for bad in ["statusFilter=DONE", "maxResults=0", "maxResults=5000", "startedAfter=yesterday", "nextToken=nope"] {
            let out = await list(bad)
            #expect(out.status == 400, "\(bad)")
        }
    }

    /// Every service's declared lists, read through its own actions.
    @Test func theServicesPagesListWhatTheirActionsList() async throws {
        let f = try await FrontDoorFixture()
        let cookie = try #require(Self.cookie(await Self.login(f)))
        func get(_ path: String) async -> FrontDoor.Outgoing {
            await f.door.handle(.init(method: "GET", path: path, headers: [("host", "h"), ("cookie", cookie)]))
        }
        let index = await get("/console/api/browse")
        let views = index.json?["views"]?.arrayValue ?? []
        let titles = Set(views.compactMap { v in v["service"]?.stringValue.map { $0 + "/" + (v["title"]?.stringValue ?? "") } })
        for expected in ["sqs/Queues", "dynamodb/Tables", "s3/Buckets", "events/Event buses", "lambda/Functions", "sns/Topics", "ssm/Parameters"] {
            #expect(titles.contains(expected), "\(expected)")
        }
        // A queue and a table made through the API appear in their views.
        let queue = await f.door.handle(f.signed("POST", "/", target: "AmazonSQS.CreateQueue", body: #"{"QueueName":"browsed"}"#, service: "sqs"))
        #expect(queue.status == 200)
        let table = await f.door.handle(f.signed("POST", "/", target: "DynamoDB_20120810.CreateTable", body: #"""
            {"TableName":"browsed","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}
            """#, service: "dynamodb"))
        #expect(table.status == 200)
        func rows(_ service: String, _ title: String) async -> [[String]] {
            guard let view = views.first(where: { $0["service"]?.stringValue == service && $0["title"]?.stringValue == title }),
                  let i = view["view"]?.stringValue else { return [] }
            let page = await get("/console/api/browse/\(service)/\(i)")
            return page.json?["rows"]?.arrayValue?.map { $0.arrayValue?.compactMap(\.stringValue) ?? [] } ?? []
        }
        #expect(await rows("sqs", "Queues").contains { $0.first?.hasSuffix("/browsed") == true })
        #expect(await rows("dynamodb", "Tables") == [["browsed"]])
        #expect(await rows("events", "Event buses").contains { $0.first == "default" })
        #expect(await get("/console/api/browse/sqs/99").status == 404)
        #expect(await get("/console/api/browse/nope/0").status == 404)
        let unsigned = await f.door.handle(.init(method: "GET", path: "/console/api/browse", headers: [("host", "h")]))
        #expect(unsigned.status == 403)
    }
}
