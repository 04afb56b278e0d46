import CoreMetrics
import Foundation
import Journal

/// The endpoint's metric handles, found by service and action without building a registry
/// key: `MetricHandles` keys by one joined string, and building three of them for every
/// request was 2.6 % of GetItem's server CPU (perf, 16 connections).
final class RequestMetrics: @unchecked Sendable {
    // @unchecked Sendable: the dictionaries are only touched under `lock`.
    private let lock = NSLock()
    private var inFlight: [String: Meter] = [:]
    private var actions: [ActionKey: Action] = [:]

    static let shared = RequestMetrics()

    struct ActionKey: Hashable {
        var service: String
        var action: String
    }

    /// One action's handles: its latency, and its count by status.
    final class Action: @unchecked Sendable {
        // @unchecked Sendable: `counts` is only touched under `lock`.
        let service: String
        let action: String
        let duration: CoreMetrics.Timer
        private let lock = NSLock()
        private var counts: [Int: Counter] = [:]

        init(service: String, action: String) {
            self.service = service
            self.action = action
            duration = MetricHandles.shared.timer("baton_http_request_duration_seconds", [("service", service), ("action", action)])
        }

        /// `baton_http_requests_total{service,action,status}`.
        func requests(status: Int) -> Counter {
            lock.withLock {
                if let c = counts[status] { return c }
                let c = MetricHandles.shared.counter("baton_http_requests_total",
                                                     [("service", service), ("action", action), ("status", String(status))])
                counts[status] = c
                return c
            }
        }
    }

    /// `baton_http_requests_in_flight{service}`.
    func inFlight(service: String) -> Meter {
        lock.withLock {
            if let m = inFlight[service] { return m }
            let m = MetricHandles.shared.meter("baton_http_requests_in_flight", [("service", service)])
            inFlight[service] = m
            return m
        }
    }

    func action(service: String, action: String) -> Action {
        let key = ActionKey(service: service, action: action)
        return lock.withLock {
            if let a = actions[key] { return a }
            let a = Action(service: service, action: action)
            actions[key] = a
            return a
        }
    }
}
