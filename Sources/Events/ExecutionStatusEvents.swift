import Journal
import ServiceKit
import StatesLanguage

/// Step Functions on the bus: each Standard execution's start and end becomes an event on the
/// default bus, in AWS's shape, so a rule can react to a failed run.
///
/// AWS: source `aws.states`, detail-type "Step Functions Execution Status Change", the
/// execution's ARN as the resource, and a detail with its ARNs, name, status, dates (epoch
/// milliseconds), input and output, error and cause.
extension EventsService {
    static func statusChangeEvent(_ r: ExecutionRecord, id: String, region: String, account: String, now: Timestamp) -> JSON {
        var detail = JSONObject()
        detail.appendUnchecked("executionArn", .string(r.arn))
        detail.appendUnchecked("stateMachineArn", .string(r.stateMachineArn))
        detail.appendUnchecked("name", .string(r.name))
        detail.appendUnchecked("status", .string(r.status.rawValue))
        detail.appendUnchecked("startDate", .int(r.startMillis))
        detail.appendUnchecked("stopDate", r.stopMillis.map { .int($0) } ?? .null)
        detail.appendUnchecked("input", .string(r.input))
        detail.appendUnchecked("output", r.output.map { .string($0) } ?? .null)
        detail.appendUnchecked("inputDetails", ["included": true])
        detail.appendUnchecked("outputDetails", r.output == nil ? .null : ["included": true])
        detail.appendUnchecked("error", r.error.map { .string($0) } ?? .null)
        detail.appendUnchecked("cause", r.cause.map { .string($0) } ?? .null)
        detail.appendUnchecked("redriveCount", .int(Int64(r.redriveCount)))
        var o = JSONObject()
        o.appendUnchecked("version", "0")
        o.appendUnchecked("id", .string(id))
        o.appendUnchecked("detail-type", "Step Functions Execution Status Change")
        o.appendUnchecked("source", "aws.states")
        o.appendUnchecked("account", .string(account))
        o.appendUnchecked("time", .string(eventTime(now)))
        o.appendUnchecked("region", .string(region))
        o.appendUnchecked("resources", [.string(r.arn)])
        o.appendUnchecked("detail", .object(detail))
        return .object(o)
    }

    /// Routes a status change on the default bus (nothing is written when no rule matches).
    func statusChanged(_ r: ExecutionRecord) async {
        // Most runs have no rule listening: then nothing is built at all.
        guard buses.defaultBusListens.value else { return }
        let event = Self.statusChangeEvent(r, id: UUIDText.random(), region: region, account: account, now: clock.now())
        let routes = await buses.routes(bus: "default", event: event)
        guard !routes.isEmpty else { return }
        do { try await delivery.enqueue(routes.map { (event, $0.rule, $0.target) }, traceHeader: r.traceHeader) } catch {
            delivery.engine.logger.error("a status-change event could not be stored", metadata: ["execution": "\(r.arn)", "error": "\(error)"])
        }
    }
}
