import ServiceKit

/// The REST routes of every service, filed by method and first path segment, so that a
/// request is matched against the few routes that can take it rather than all of them (a
/// scan of every route, each splitting the path anew, was a sixth of the server's time for
/// `GET /health`). Routes keep their order: when two patterns match a path, the one listed
/// first wins, as it did in the scan.
struct RESTRouteTable: Sendable {
    let routes: [FrontDoor.Route]
    /// Indices into `routes`, ascending, by "METHOD /first-segment".
    private let byLeadingLiteral: [String: [Int]]
    /// Indices of the routes whose first segment is a parameter (or that have none), by method.
    private let byMethodOpen: [String: [Int]]

    init(_ routes: [FrontDoor.Route]) {
        self.routes = routes
        var literal: [String: [Int]] = [:]
        var open: [String: [Int]] = [:]
        for (i, r) in routes.enumerated() {
            if let first = r.route.path.leadingLiteral {
                literal[Self.key(r.route.method, first), default: []].append(i)
            } else {
                open[r.route.method, default: []].append(i)
            }
        }
        byLeadingLiteral = literal
        byMethodOpen = open
    }

    private static func key(_ method: String, _ first: some StringProtocol) -> String { method + " " + first }

    /// The first route (in the services' order) whose method and pattern match, with the path's parameters.
    func match(method: String, path: String) -> (route: FrontDoor.Route, parameters: [String: String])? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        let literal = parts.first.flatMap { byLeadingLiteral[Self.key(method, $0)] } ?? []
        let open = byMethodOpen[method] ?? []
        // Both lists are ascending: walk them merged, so the first match is the first listed.
        var i = 0, j = 0
        while i < literal.count || j < open.count {
            let next: Int
            if j >= open.count || (i < literal.count && literal[i] < open[j]) {
                next = literal[i]
                i += 1
            } else {
                next = open[j]
                j += 1
            }
            if let parameters = routes[next].route.path.match(segments: parts) { return (routes[next], parameters) }
        }
        return nil
    }
}
