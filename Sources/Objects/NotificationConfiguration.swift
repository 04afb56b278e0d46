import ServiceKit
import StatesLanguage

/// A bucket's notification configuration (`PUT ?notification`): which events of which keys
/// go to which queue, topic or function, and whether every event also goes to EventBridge.
/// Parsed and checked once from S3's XML, kept as JSON, matched on every write.
struct NotificationConfiguration: Sendable, Equatable {
    enum Kind: String, Sendable, CaseIterable {
        case queue, topic, function

        /// The XML element of a configuration, and of its ARN.
        var element: String { ["queue": "QueueConfiguration", "topic": "TopicConfiguration", "function": "CloudFunctionConfiguration"][rawValue] ?? "" }
        var arnElement: String { ["queue": "Queue", "topic": "Topic", "function": "CloudFunction"][rawValue] ?? "" }
        /// The ARN's service, as `arn:aws:SERVICE:…` must name it.
        var service: String { ["queue": "sqs", "topic": "sns", "function": "lambda"][rawValue] ?? "" }
    }

    struct Rule: Sendable, Equatable {
        var kind: Kind
        var id: String
        var arn: String
        var events: [String]
        /// The key filter's rules in the order given, names as S3 gives them back (`Prefix`, `Suffix`).
        var filter: [(name: String, value: String)]

        static func == (a: Rule, b: Rule) -> Bool {
            a.kind == b.kind && a.id == b.id && a.arn == b.arn && a.events == b.events
                && a.filter.map(\.name) == b.filter.map(\.name) && a.filter.map(\.value) == b.filter.map(\.value)
        }

        var prefix: String { filter.first { $0.name == "Prefix" }?.value ?? "" }
        var suffix: String { filter.first { $0.name == "Suffix" }?.value ?? "" }

        /// AWS: a rule takes an event named in its list, or one under a `:*` it names.
        func matches(event: String, key: String) -> Bool {
            let named = "s3:" + event
            let family = named.split(separator: ":").dropLast().joined(separator: ":") + ":*"
            guard events.contains(named) || events.contains(family) else { return false }
            return key.hasPrefix(prefix) && key.hasSuffix(suffix)
        }
    }

    var rules: [Rule] = []
    /// `<EventBridgeConfiguration/>`: every event of the bucket goes to the default bus.
    var eventBridge = false

    var isEmpty: Bool { rules.isEmpty && !eventBridge }

    /// The event types S3's model lists for notifications.
    static let eventTypes: Set<String> = [
        "s3:ReducedRedundancyLostObject", "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
        "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated",
        "s3:ObjectRestore:*", "s3:ObjectRestore:Post", "s3:ObjectRestore:Completed", "s3:ObjectRestore:Delete", "s3:Replication:*",
        "s3:Replication:OperationFailedReplication", "s3:Replication:OperationNotTracked", "s3:Replication:OperationMissedThreshold",
        "s3:Replication:OperationReplicatedAfterThreshold", "s3:LifecycleTransition", "s3:IntelligentTiering", "s3:ObjectAcl:Put",
        "s3:LifecycleExpiration:*", "s3:LifecycleExpiration:Delete", "s3:LifecycleExpiration:DeleteMarkerCreated", "s3:ObjectTagging:*",
        "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete",
    ]

    init(rules: [Rule] = [], eventBridge: Bool = false) {
        self.rules = rules
        self.eventBridge = eventBridge
    }

    /// Parses and checks a PUT's document, with AWS's errors; `newId` names a rule sent without one.
    init(xml root: XMLElementTree.Node, newId: () -> String) throws(ServiceError) {
        guard root.name == "NotificationConfiguration" else { throw S3Errors.malformedXML() }
        for node in root.children {
            if node.name == "EventBridgeConfiguration" {
                eventBridge = true
                continue
            }
            guard let kind = Kind.allCases.first(where: { $0.element == node.name }) else { throw S3Errors.malformedXML() }
            guard let arn = node.value(kind.arnElement)?.trimmed, !arn.isEmpty else { throw S3Errors.malformedXML() }
            let events = node.all("Event").map(\.text.trimmed)
            guard !events.isEmpty else { throw S3Errors.malformedXML() }
            guard Self.parses(arn, service: kind.service) else {
                throw S3Errors.invalidArgument("The ARN could not be parsed", name: kind.arnElement, value: arn)
            }
            for e in events where !Self.eventTypes.contains(e) {
                throw S3Errors.invalidArgument("The event is not supported for notifications", name: "Event", value: e)
            }
            var filter: [(name: String, value: String)] = []
            if let f = node.child("Filter") {
                for r in f.child("S3Key")?.all("FilterRule") ?? [] {
                    guard let name = r.child("Name")?.text.trimmed, let value = r.child("Value")?.text else { throw S3Errors.malformedXML() }
                    let normal = name.lowercased() == "prefix" ? "Prefix" : name.lowercased() == "suffix" ? "Suffix" : nil
                    guard let normal else {
                        throw S3Errors.invalidArgument("filter rule name must be either prefix or suffix", name: "FilterRule.Name", value: name)
                    }
                    if filter.contains(where: { $0.name == normal }) {
                        throw S3Errors.invalidArgument("Cannot specify more than one \(normal.lowercased()) rule in a filter.",
                                                       name: "FilterRule.Name", value: name)
                    }
                    filter.append((normal, value))
                }
            }
            let id = node.value("Id")?.trimmed ?? ""
            rules.append(Rule(kind: kind, id: id.isEmpty ? newId() : id, arn: arn, events: events, filter: filter))
        }
        try checkOverlaps()
    }

    /// AWS refuses two rules that could both take one event for one key: "Configurations on
    /// the same bucket cannot share a common event type" when their key filters overlap.
    func checkOverlaps() throws(ServiceError) {
        for (i, a) in rules.enumerated() {
            for b in rules[(i + 1)...] {
                let shared = a.events.contains { e in b.events.contains { Self.eventsOverlap(e, $0) } }
                guard shared else { continue }
                let prefixes = a.prefix.hasPrefix(b.prefix) || b.prefix.hasPrefix(a.prefix)
                let suffixes = a.suffix.hasSuffix(b.suffix) || b.suffix.hasSuffix(a.suffix)
                if prefixes && suffixes {
                    throw S3Errors.invalidArgument("Configurations overlap. Configurations on the same bucket cannot share a common event type.",
                                                   name: "Event", value: a.events.joined(separator: ", "))
                }
            }
        }
    }

    static func eventsOverlap(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        func family(_ e: String) -> String { e.split(separator: ":").dropLast().joined(separator: ":") }
        if a.hasSuffix(":*") { return family(a) == family(b) }
        if b.hasSuffix(":*") { return family(a) == family(b) }
        return false
    }

    /// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, the service the configuration needs.
    static func parses(_ arn: String, service: String) -> Bool {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        return parts.count == 6 && parts[0] == "arn" && parts[1].hasPrefix("aws") && parts[2] == service && !parts[5].isEmpty
    }

    // MARK: kept as JSON

    var json: JSON {
        var o = JSONObject()
        o["Rules"] = .array(rules.map { r in
            [
                "Kind": .string(r.kind.rawValue), "Id": .string(r.id), "Arn": .string(r.arn), "Events": .array(r.events.map { .string($0) }),
                "Filter": .array(r.filter.map { ["Name": .string($0.name), "Value": .string($0.value)] }),
            ]
        })
        if eventBridge { o["EventBridge"] = true }
        return .object(o)
    }

    init(json: JSON) {
        rules = (json["Rules"]?.arrayValue ?? []).compactMap { r in
            guard let kind = r["Kind"]?.stringValue.flatMap(Kind.init(rawValue:)), let arn = r["Arn"]?.stringValue else { return nil }
            return Rule(kind: kind, id: r["Id"]?.stringValue ?? "", arn: arn,
                        events: (r["Events"]?.arrayValue ?? []).compactMap(\.stringValue),
                        filter: (r["Filter"]?.arrayValue ?? []).map { ($0["Name"]?.stringValue ?? "", $0["Value"]?.stringValue ?? "") })
        }
        eventBridge = json["EventBridge"]?.boolValue ?? false
    }

    /// GET's document, in S3's element names.
    func write(_ w: inout XMLWriter) {
        for kind in [Kind.topic, .queue, .function] {
            for r in rules where r.kind == kind {
                w.raw("<\(kind.element)>")
                w.element("Id", r.id)
                w.element(kind.arnElement, r.arn)
                for e in r.events { w.element("Event", e) }
                if !r.filter.isEmpty {
                    w.raw("<Filter><S3Key>")
                    for f in r.filter {
                        w.raw("<FilterRule>")
                        w.element("Name", f.name)
                        w.element("Value", f.value)
                        w.raw("</FilterRule>")
                    }
                    w.raw("</S3Key></Filter>")
                }
                w.raw("</\(kind.element)>")
            }
        }
        if eventBridge { w.raw("<EventBridgeConfiguration></EventBridgeConfiguration>") }
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
