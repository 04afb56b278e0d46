import Engine
import Foundation
import Journal
import ServiceKit
import ServiceLifecycle
import StatesLanguage

/// Amazon EventBridge on the seam (`AWSEvents.*`, JSON 1.1): buses, rules with patterns,
/// targets, PutEvents and TestEventPattern. A matched event becomes one durable delivery per
/// target, committed before PutEvents answers and performed by a queue worker with the
/// target's retry policy; a state machine target's execution is started before PutEvents
/// answers instead, and only a start that fails goes to the queue.
package struct EventsService: BatonService {
    let buses: EventBuses
    let delivery: EventDelivery
    let worker: QueueWorker
    package let scheduler: RuleScheduler
    let archives: DocumentBook<JSONObject>
    let replays: DocumentBook<JSONObject>
    let connections: DocumentBook<JSONObject>
    let apiDestinations: DocumentBook<JSONObject>
    let database: any ServiceStore
    let region: String
    let account: String
    let clock: any EngineClock

    package init(_ context: ServiceContext) async throws(ServiceError) {
        clock = context.engine.clock
        database = context.store
        archives = try await DocumentBook(owner: "events.archives", store: context.store, encode: { .object($0) }, decode: { $0.objectValue })
        replays = try await DocumentBook(owner: "events.replays", store: context.store, encode: { .object($0) }, decode: { $0.objectValue })
        connections = try await DocumentBook(owner: "events.connections", store: context.store, encode: { .object($0) },
                                             decode: { $0.objectValue })
        apiDestinations = try await DocumentBook(owner: "events.api-destinations", store: context.store, encode: { .object($0) },
                                                 decode: { $0.objectValue })
        region = context.region
        account = context.account
        buses = try await EventBuses(store: context.store, region: context.region, account: context.account,
                                     now: context.engine.clock.now().milliseconds)
        delivery = EventDelivery(engine: context.engine, buses: buses, store: context.store, clock: context.engine.clock)
        worker = QueueWorker(queue: EventDelivery.queue, store: context.store, clock: context.engine.clock, consumer: delivery,
                             concurrency: 128, logger: context.engine.logger)
        delivery.attach(worker)
        scheduler = try await RuleScheduler(buses: buses, database: context.store, clock: context.engine.clock,
                                            region: context.region, account: context.account, delivery: delivery)
        let service = self
        context.engine.onStatusChange { record in await service.statusChanged(record) }
        delivery.attach(apiDestination: { arn, target in await service.apiDestinationCall(arn, target: target) })
    }

    package var name: String { "events" }

    package var browseViews: [BrowseView] {
        [BrowseView("Event buses", columns: [.init("Name", "Name"), .init("ARN", "Arn")], action: "ListEventBuses", list: "EventBuses"),
         BrowseView("Rules on the default bus", columns: [.init("Name", "Name"), .init("State", "State"), .init("Pattern", "EventPattern"),
                                                   .init("Schedule", "ScheduleExpression")], action: "ListRules", body: ["Limit": 100], list: "Rules")]
    }
    package var wireProtocol: WireProtocol { .json(targetPrefix: "AWSEvents", version: "1.1") }

    package var backgroundServices: [any ServiceLifecycle.Service] {
        [LoopService { [worker] in await worker.run() }, LoopService { [scheduler] in await scheduler.run() }]
    }

    package var taskResources: [TaskResourceBinding] {
        [TaskResourceBinding(.resource("arn:aws:states:::events:putEvents"), PutEventsTaskHandler(service: self))]
    }

    package var actions: [String: Action] {
        var t = ActionTable(model: EventsModel.constraints)
        let s = self
        t.json("CreateEventBus") { try await s.createEventBus($0) }
        t.json("DescribeEventBus") { try await s.describeEventBus($0) }
        t.json("DeleteEventBus") { try await s.deleteEventBus($0) }
        t.json("ListEventBuses") { try await s.listEventBuses($0) }
        t.json("PutRule") { try await s.putRule($0) }
        t.json("DescribeRule") { try await s.describeRule($0) }
        t.json("ListRules") { try await s.listRules($0) }
        t.json("EnableRule") { try await s.setState($0, enabled: true) }
        t.json("DisableRule") { try await s.setState($0, enabled: false) }
        t.json("DeleteRule") { try await s.deleteRule($0) }
        t.json("PutTargets") { try await s.putTargets($0) }
        t.json("RemoveTargets") { try await s.removeTargets($0) }
        t.json("ListTargetsByRule") { try await s.listTargets($0) }
        t.json("ListRuleNamesByTarget") { try await s.listRuleNamesByTarget($0) }
        t.json("PutEvents", before: { try Self.checkEntryCount($0) }) { try await s.putEvents($0) }
        t.json("TestEventPattern") { try await s.testEventPattern($0) }
        t.json("PutPermission") { try await s.putPermission($0) }
        t.json("CreateArchive") { try await s.createArchive($0) }
        t.json("DescribeArchive") { try await s.describeArchive($0) }
        t.json("ListArchives") { try await s.listArchives($0) }
        t.json("UpdateArchive") { try await s.updateArchive($0) }
        t.json("DeleteArchive") { try await s.deleteArchive($0) }
        t.json("StartReplay") { try await s.startReplay($0) }
        t.json("DescribeReplay") { try await s.describeReplay($0) }
        t.json("ListReplays") { try await s.listReplays($0) }
        t.json("CancelReplay") { try await s.cancelReplay($0) }
        t.json("RemovePermission") { try await s.removePermission($0) }
        t.json("CreateConnection") { try await s.createConnection($0) }
        t.json("DescribeConnection") { try await s.describeConnection($0) }
        t.json("ListConnections") { try await s.listConnections($0) }
        t.json("UpdateConnection") { try await s.updateConnection($0) }
        t.json("DeleteConnection") { try await s.deleteConnection($0) }
        t.json("CreateApiDestination") { try await s.createApiDestination($0) }
        t.json("DescribeApiDestination") { try await s.describeApiDestination($0) }
        t.json("ListApiDestinations") { try await s.listApiDestinations($0) }
        t.json("UpdateApiDestination") { try await s.updateApiDestination($0) }
        t.json("DeleteApiDestination") { try await s.deleteApiDestination($0) }
        t.json("TagResource") { try await s.tag($0) }
        t.json("UntagResource") { try await s.untag($0) }
        t.json("ListTagsForResource") { try await s.listTags($0) }
        return t.actions
    }

    var now: Int64 { clock.now().milliseconds }
    static func seconds(_ ms: Int64) -> JSON { .double(Double(ms) / 1000) }
}
