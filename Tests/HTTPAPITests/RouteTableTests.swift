import HTTPAPI
import ServiceKit
import StatesLanguage
import Testing

/// The front door's REST routes are filed by method and first segment; the first route listed
/// that matches still wins, as it did when every route was tried in order.
@Suite struct RouteTableTests {
    /// A REST service whose routes are the test's, each answering with its own action's name.
    struct Routes: BatonService {
        let name = "routes"
        let wireProtocol = WireProtocol.restJSON
        let routes: [RESTRoute]
        var actions: [String: Action] { [:] }
    }

    static func door(_ routes: [(String, String, String)]) -> FrontDoor {
        FrontDoor(services: [Routes(routes: routes.map { RESTRoute($0.0, $0.1, action: $0.2) })], verifier: nil,
                  clock: { Timestamp(seconds: 0) })
    }

    @Test(arguments: [
        // (routes in order, method, path, the action that must take it; nil: none does)
        ([("GET", "/{a}/x", "param-first"), ("GET", "/b/{c}", "literal-second")], "GET", "/b/x", "param-first"),
        ([("GET", "/b/{c}", "literal-first"), ("GET", "/{a}/x", "param-second")], "GET", "/b/x", "literal-first"),
        ([("GET", "/b/{c}", "b"), ("GET", "/{a}/x", "any-x")], "GET", "/q/x", "any-x"),
        ([("GET", "/b/{c}", "b"), ("POST", "/b/{c}", "post-b")], "POST", "/b/1", "post-b"),
        ([("GET", "/b/{c}", "b")], "PUT", "/b/1", nil),
        ([("GET", "/b/{c}", "b")], "GET", "/b", nil),
        ([("GET", "/b/{c}", "b")], "GET", "/b/1/2", nil),
        ([("GET", "/", "root"), ("GET", "/{a}", "one")], "GET", "/", "root"),
        ([("GET", "/{rest+}", "rest"), ("GET", "/b/{c}", "b")], "GET", "/b/1", "rest"),
        ([("GET", "/b/{c}", "b"), ("GET", "/{rest+}", "rest")], "GET", "/b/1/2/3", "rest"),
        ([("GET", "/health", "health"), ("GET", "/health/ready", "ready")], "GET", "//health//ready", "ready"),
    ] as [([(String, String, String)], String, String, String?)])
    func theFirstListedRouteThatMatchesWins(routes: [(String, String, String)], method: String, path: String, action: String?) {
        #expect(Self.door(routes).destination(method: method, path: path, target: nil)?.action == action)
    }

    @Test func parametersAreDecodedFromThePath() {
        let d = Self.door([("GET", "/2015-03-31/functions/{FunctionName}/versions/{rest+}", "v")])
            .destination(method: "GET", path: "/2015-03-31/functions/my%20fn/versions/a/b", target: nil)
        #expect(d?.parameters == ["FunctionName": "my fn", "rest": "a/b"])
    }
}
