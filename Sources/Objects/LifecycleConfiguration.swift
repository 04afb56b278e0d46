import ServiceKit
import StatesLanguage

/// A bucket's lifecycle rules, parsed once from the document S3 keeps: which objects a rule
/// takes (a prefix, tags, sizes) and what it does to them (expire the current version after
/// some days or on a date, move it to another storage class, abort uploads left incomplete).
/// AWS: "Amazon S3 calculates the expiration time by adding the number of days specified in
/// the rule to the object creation time and rounding the resulting time to the next day
/// midnight UTC."
struct LifecycleConfiguration: Sendable {
    struct Filter: Sendable {
        var prefix = ""
        var tags: [(String, String)] = []
        var sizeGreaterThan: Int64?
        var sizeLessThan: Int64?

        func matches(key: String, size: Int64, tags objectTags: [(String, String)]) -> Bool {
            guard key.hasPrefix(prefix) else { return false }
            for (k, v) in tags where !objectTags.contains(where: { $0 == (k, v) }) { return false }
            if let g = sizeGreaterThan, size <= g { return false }
            if let l = sizeLessThan, size >= l { return false }
            return true
        }
    }

    /// When an action is due: days after the object was made (rounded up to midnight UTC) or a date.
    enum When: Sendable {
        case days(Int64)
        case date(Int64)

        func due(createdMillis: Int64) -> Int64 {
            switch self {
            case .date(let d): return d
            case .days(let n):
                let day: Int64 = 86_400_000
                let t = createdMillis + n * day
                return t % day == 0 ? t : (t / day + 1) * day
            }
        }
    }

    struct Rule: Sendable {
        var id: String
        var enabled: Bool
        var filter: Filter
        var expiration: When?
        var transitions: [(when: When, storageClass: String)] = []
        var abortIncompleteAfterDays: Int64?
    }

    var rules: [Rule]

    static let malformed = S3Errors.malformedXML()

    /// Parses and checks a `LifecycleConfiguration` document as S3 does (MalformedXML for a
    /// rule without status or action, InvalidArgument for a day count that is not positive).
    static func parse(_ body: [UInt8]) throws(ServiceError) -> LifecycleConfiguration {
        guard let root = XMLElementTree.parse(body), root.name == "LifecycleConfiguration" else { throw malformed }
        let nodes = root.all("Rule")
        guard !nodes.isEmpty, nodes.count <= 1000 else { throw malformed }
        var rules: [Rule] = []
        for (i, node) in nodes.enumerated() {
            guard let status = node.value("Status"), ["Enabled", "Disabled"].contains(status) else { throw malformed }
            var filter = Filter()
            if let f = node.child("Filter") {
                let and = f.child("And") ?? f
                filter.prefix = and.value("Prefix") ?? ""
                filter.tags = (and.all("Tag")).map { ($0.value("Key") ?? "", $0.value("Value") ?? "") }
                filter.sizeGreaterThan = and.value("ObjectSizeGreaterThan").flatMap { Int64($0) }
                filter.sizeLessThan = and.value("ObjectSizeLessThan").flatMap { Int64($0) }
            } else {
                filter.prefix = node.value("Prefix") ?? ""
            }
            func when(_ n: XMLElementTree.Node) throws(ServiceError) -> When? {
                if let d = n.value("Days") {
                    guard let days = Int64(d), days > 0 else {
                        throw ServiceError("InvalidArgument", "'Days' for Expiration action must be a positive integer")
                    }
                    return .days(days)
                }
                if let d = n.value("Date") {
                    guard let t = Timestamp(iso8601: d) else { throw malformed }
                    return .date(t.milliseconds)
                }
                return nil
            }
            var rule = Rule(id: node.value("ID") ?? "rule-\(i + 1)", enabled: status == "Enabled", filter: filter)
            var acts = false
            if let e = node.child("Expiration") {
                rule.expiration = try when(e)
                guard rule.expiration != nil || e.value("ExpiredObjectDeleteMarker") != nil else { throw malformed }
                acts = true
            }
            for t in node.all("Transition") {
                guard let w = try when(t), let c = t.value("StorageClass") else { throw malformed }
                rule.transitions.append((w, c))
                acts = true
            }
            if let a = node.child("AbortIncompleteMultipartUpload") {
                guard let d = a.value("DaysAfterInitiation").flatMap({ Int64($0) }), d > 0 else { throw malformed }
                rule.abortIncompleteAfterDays = d
                acts = true
            }
            acts = acts || node.child("NoncurrentVersionExpiration") != nil || node.child("NoncurrentVersionTransition") != nil
            guard acts else { throw malformed }
            rules.append(rule)
        }
        return LifecycleConfiguration(rules: rules)
    }

    /// The earliest expiry of an object among the enabled rules that take it, and the rule's id.
    func expiry(key: String, size: Int64, tags: [(String, String)], createdMillis: Int64) -> (millis: Int64, rule: String)? {
        var best: (Int64, String)?
        for r in rules where r.enabled && r.filter.matches(key: key, size: size, tags: tags) {
            guard let e = r.expiration else { continue }
            let due = e.due(createdMillis: createdMillis)
            if best.map({ due < $0.0 }) ?? true { best = (due, r.id) }
        }
        return best
    }

    /// The storage class an object has moved to by `now`, if a transition has come due.
    func storageClass(key: String, size: Int64, tags: [(String, String)], createdMillis: Int64, now: Int64) -> String? {
        var latest: (Int64, String)?
        for r in rules where r.enabled && r.filter.matches(key: key, size: size, tags: tags) {
            for t in r.transitions {
                let due = t.when.due(createdMillis: createdMillis)
                if due <= now, latest.map({ due > $0.0 }) ?? true { latest = (due, t.storageClass) }
            }
        }
        return latest?.1
    }
}
