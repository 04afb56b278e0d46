import ServiceKit
import StatesLanguage

/// A webhook's configuration, parsed once from the JSON the API was given.
///
/// ```json
/// { "Name": "campaigns",
///   "KeySource": { "Body": "$.campaign_id" },           // or { "Header": "X-Campaign-Id" } / { "Query": "id" }
///   "StatusSource": { "Body": "$.status" },             // optional
///   "Outcomes": { "success": { "Outcome": "SUCCESS" },
///                 "failed":  { "Outcome": "FAILURE", "Error": "Campaign.Failed", "Cause.$": "$.body.reason" },
///                 "sending": { "Outcome": "HEARTBEAT" } },
///   "DefaultOutcome": { "Outcome": "IGNORE" },
///   "Output": { "campaignId.$": "$.key", "status.$": "$.status" },
///   "Signature": { "Scheme": "STRIPE", "Secret": "whsec_…", "ToleranceSeconds": 300 },
///   "Deduplication": { "DeliveryIdHeader": "X-Delivery-Id", "WindowSeconds": 3600 } }
/// ```
package struct WebhookConfig: Sendable {
    package enum Source: Sendable, Equatable {
        case body(JSONPath)
        case header(String)
        case query(String)
    }

    package enum Outcome: String, Sendable {
        case success = "SUCCESS", failure = "FAILURE", heartbeat = "HEARTBEAT", ignore = "IGNORE"
    }

    /// What a status value does: the outcome, and for failures the error and cause (each a
    /// literal or, with a `.$` name, a path into the request document).
    package struct Rule: Sendable {
        package var outcome: Outcome
        var error: PayloadTemplate?
        var cause: PayloadTemplate?
        /// Overrides the webhook's Output for this status.
        var output: PayloadTemplate?
    }

    package var name: String
    package var description: String?
    package var keySource: Source
    package var statusSource: Source?
    package var rules: [String: Rule]
    package var defaultRule: Rule
    var output: PayloadTemplate?
    package var signature: WebhookSignature
    package var deliveryIdHeader: String?
    package var dedupeWindowSeconds: Int64
    /// The configuration as given, secret included (stored, never returned).
    package var json: JSONObject
}

extension WebhookConfig {
    static let fields: Set<String> = ["Name", "Description", "KeySource", "StatusSource", "Outcomes", "DefaultOutcome", "Output",
                                      "Signature", "Deduplication"]

    /// Parses and validates a configuration; `previous` supplies the secret when an update
    /// leaves it out (secrets are write-only: a client cannot read it back to resend it).
    package init(json: JSONObject, previous: WebhookConfig? = nil) throws(WebhookError) {
        for (k, _) in json where !Self.fields.contains(k) {
            throw .validation("Unknown field '\(k)'; the fields are \(Self.fields.sorted().joined(separator: ", "))")
        }
        guard let name = json["Name"]?.stringValue, WebhookWait.isValidName(name) else {
            throw .validation("'Name' is required: 1 to 80 letters, digits, '-' or '_'")
        }
        self.name = name
        description = json["Description"]?.stringValue
        guard let key = json["KeySource"] else { throw .validation("'KeySource' is required: {\"Body\": \"$.id\"}, {\"Header\": …} or {\"Query\": …}") }
        keySource = try Self.source(key, field: "KeySource")
        statusSource = try json["StatusSource"].map { (v) throws(WebhookError) in try Self.source(v, field: "StatusSource") }
        var rules: [String: Rule] = [:]
        if let o = json["Outcomes"] {
            guard case .object(let outcomes) = o else { throw .validation("'Outcomes' must map status values to {\"Outcome\": …}") }
            for (status, rule) in outcomes { rules[status] = try Self.rule(rule, field: "Outcomes.\(status)") }
        }
        self.rules = rules
        defaultRule = try json["DefaultOutcome"].map { (v) throws(WebhookError) in try Self.rule(v, field: "DefaultOutcome") }
            ?? Rule(outcome: statusSource == nil || rules.isEmpty ? .success : .ignore)
        output = try json["Output"].map { (v) throws(WebhookError) in try Self.template(v, field: "Output") }
        // An update that leaves Signature out keeps the current one: changing a key source
        // must never switch verification off by accident.
        var signatureJSON = json["Signature"]?.objectValue ?? previous?.json["Signature"]?.objectValue ?? ["Scheme": "NONE"]
        if signatureJSON["Secret"] == nil, let old = previous?.json["Signature"]?.objectValue?["Secret"] {
            signatureJSON["Secret"] = old
        }
        signature = try WebhookSignature(signatureJSON)
        var stored = json
        if json["Signature"] != nil || previous != nil { stored["Signature"] = .object(signatureJSON) }
        self.json = stored
        let dedupe = json["Deduplication"]?.objectValue ?? [:]
        deliveryIdHeader = dedupe["DeliveryIdHeader"]?.stringValue?.lowercased()
        if let w = dedupe["WindowSeconds"] {
            guard let seconds = w.integerValue, (0...(7 * 86_400)).contains(seconds) else {
                throw .validation("'Deduplication.WindowSeconds' must be an integer from 0 to 604800")
            }
            dedupeWindowSeconds = seconds
        } else {
            dedupeWindowSeconds = 3_600
        }
    }

    static func source(_ v: JSON, field: String) throws(WebhookError) -> Source {
        guard case .object(let o) = v, o.count == 1, let kind = o.keys.first, let text = o[kind]?.stringValue, !text.isEmpty else {
            throw .validation("'\(field)' must be one of {\"Body\": \"$.path\"}, {\"Header\": \"Name\"}, {\"Query\": \"name\"}")
        }
        switch kind {
        case "Body":
            do { return .body(try JSONPath(text)) } catch {
                throw .validation("'\(field).Body' is not a valid JSONPath: \(text)")
            }
        case "Header": return .header(text.lowercased())
        case "Query": return .query(text)
        default: throw .validation("'\(field)' must be one of {\"Body\": …}, {\"Header\": …}, {\"Query\": …}, not '\(kind)'")
        }
    }

    static func rule(_ v: JSON, field: String) throws(WebhookError) -> Rule {
        guard case .object(let o) = v, let name = o["Outcome"]?.stringValue, let outcome = Outcome(rawValue: name) else {
            throw .validation("'\(field)' must be {\"Outcome\": \"SUCCESS\" | \"FAILURE\" | \"HEARTBEAT\" | \"IGNORE\", …}")
        }
        var rule = Rule(outcome: outcome)
        for (k, value) in o where k != "Outcome" {
            let plain = k.hasSuffix(".$") ? String(k.dropLast(2)) : k
            let template = try Self.template(k.hasSuffix(".$") ? [k: value] : value, field: "\(field).\(k)")
            switch plain {
            case "Error" where outcome == .failure: rule.error = template
            case "Cause" where outcome == .failure: rule.cause = template
            case "Output" where outcome == .success: rule.output = try Self.template(value, field: "\(field).Output")
            default: throw .validation("'\(field)' cannot have '\(k)' (Error and Cause go with FAILURE, Output with SUCCESS)")
            }
        }
        return rule
    }

    /// A template in Parameters syntax (`"name.$": "$.path"`), over the request document.
    static func template(_ v: JSON, field: String) throws(WebhookError) -> PayloadTemplate {
        var diagnostics: [Diagnostic] = []
        let t = PayloadTemplate.compile(v, location: field, diagnostics: &diagnostics)
        if let d = diagnostics.first { throw .validation("'\(field)': \(d.message)") }
        return t
    }

    /// The configuration as the API returns it: the secret replaced by whether one is set.
    package var redacted: JSONObject {
        var o = json
        if var s = o["Signature"]?.objectValue {
            let has = s["Secret"] != nil
            s["Secret"] = nil
            s["SecretConfigured"] = .bool(has)
            o["Signature"] = .object(s)
        }
        return o
    }
}
