import Foundation
import ServiceKit
import StatesLanguage

/// Mobile push and SMS, as far as a local endpoint can take them: platform applications and
/// their endpoints are kept and validated as AWS validates them (nothing is pushed to a
/// phone), SMS settings and opt-outs are kept, and a publication to a phone number is checked
/// and accepted.
extension SNSService {
    static func validationNull(_ member: String) -> ServiceError {
        ServiceError("ValidationError", "1 validation error detected: Value null at '\(member)' failed to satisfy constraint: Member must not be null")
    }

    static func appNotFound() -> ServiceError { notFound("PlatformApplication does not exist") }

    func createPlatformApplication(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        guard let attributes = request.body["Attributes"]?.objectValue else { throw Self.validationNull("attributes") }
        let name = try request.string("Name") ?? ""
        let kind = try request.required("Platform")
        if name.isEmpty { throw Self.invalid(" Reason: cannot be empty") }
        if name.count > 256 { throw Self.invalid("\(name) Reason: must be at most 256 characters long") }
        guard name.unicodeScalars.allSatisfy({ ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "_-.".unicodeScalars.contains($0) }) else {
            throw Self.invalid("\(name) Reason: must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', and '.'")
        }
        if attributes["PlatformPrincipal"] != nil && attributes["PlatformCredential"] == nil {
            throw Self.invalid("Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential")
        }
        if attributes["PlatformCredential"] != nil && attributes["PlatformPrincipal"] == nil && kind.hasPrefix("APNS") {
            throw Self.invalid("Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal")
        }
        if attributes["PlatformCredential"] != nil && attributes["PlatformPrincipal"] == nil && !kind.hasPrefix("GCM") {
            throw Self.invalid("Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal")
        }
        let arn = "arn:aws:sns:\(region):\(account):app/\(kind)/\(name)"
        var stored = attributes
        stored["Enabled"] = stored["Enabled"] ?? "true"
        let doc: JSONObject = ["Arn": .string(arn), "Kind": "app", "Attributes": .object(stored)]
        _ = try await platform(arn) { (v: inout JSONObject?) throws(ServiceError) in if v == nil { v = doc } }
        return ["PlatformApplicationArn": .string(arn)]
    }

    /// Changes one platform document (an application or an endpoint) by ARN.
    @discardableResult
    func platform<R: Sendable>(_ arn: String, _ change: @Sendable (inout JSONObject?) throws(ServiceError) -> R) async throws(ServiceError) -> R {
        try await platformBook.update(arn, change)
    }

    func application(_ request: JSONRequest) async throws(ServiceError) -> (String, JSONObject) {
        let arn = try request.string("PlatformApplicationArn") ?? ""
        _ = try Self.arnParts(arn, member: "PlatformApplicationArn")
        guard let app = await platformBook.get(arn), app["Kind"] == "app" else { throw Self.appNotFound() }
        return (arn, app)
    }

    func getPlatformApplicationAttributes(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let (_, app) = try await application(request)
        var a = app["Attributes"]?.objectValue ?? [:]
        a["PlatformCredential"] = nil
        return ["Attributes": .object(a)]
    }

    func setPlatformApplicationAttributes(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try request.string("PlatformApplicationArn") ?? ""
        _ = try Self.arnParts(arn, member: "PlatformApplicationArn")
        guard let attributes = request.body["Attributes"]?.objectValue else { throw Self.validationNull("attributes") }
        guard let app = await platformBook.get(arn), app["Kind"] == "app" else { throw Self.appNotFound() }
        try await platform(arn) { (v: inout JSONObject?) throws(ServiceError) in
            var a = v?["Attributes"]?.objectValue ?? [:]
            for (k, x) in attributes { a[k] = x }
            v?["Attributes"] = .object(a)
        }
        return [:]
    }

    func deletePlatformApplication(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try request.required("PlatformApplicationArn")
        try await platform(arn) { (v: inout JSONObject?) throws(ServiceError) in v = nil }
        for (key, doc) in await platformBook.all where doc["Application"]?.stringValue == arn {
            try await platform(key) { (v: inout JSONObject?) throws(ServiceError) in v = nil }
        }
        return [:]
    }

    func listPlatformApplications(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let apps = await platformBook.all.map(\.value).filter { $0["Kind"] == "app" }
        return ["PlatformApplications": .array(apps.map { ["PlatformApplicationArn": $0["Arn"] ?? .null, "Attributes": $0["Attributes"] ?? [:]] })]
    }

    static let endpointAttributes: Set<String> = ["CustomUserData", "Enabled", "Token"]

    func checkEndpointAttributes(_ a: JSONObject) throws(ServiceError) {
        for (k, v) in a {
            guard Self.endpointAttributes.contains(k) else { throw Self.invalid("Attributes Reason: Invalid attribute name: \(k)") }
            if k == "CustomUserData", (v.stringValue?.utf8.count ?? 0) > 2048 {
                throw Self.invalid("Attributes Reason: Invalid value for attribute: CustomUserData: must be at most 2048 bytes long in UTF-8 encoding")
            }
        }
    }

    func createPlatformEndpoint(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let (appArn, _) = try await application(request)
        let token = try request.required("Token")
        var attributes = request.body["Attributes"]?.objectValue ?? [:]
        try checkEndpointAttributes(attributes)
        if let data = try request.string("CustomUserData") {
            if data.utf8.count > 2048 {
                throw Self.invalid("Attributes Reason: Invalid value for attribute: CustomUserData: must be at most 2048 bytes long in UTF-8 encoding")
            }
            attributes["CustomUserData"] = .string(data)
        }
        attributes["Token"] = .string(token)
        attributes["Enabled"] = attributes["Enabled"] ?? "true"
        if let existing = await platformBook.all.map(\.value).first(where: { $0["Application"]?.stringValue == appArn && $0["Attributes"]?["Token"]?.stringValue == token }) {
            let arn = existing["Arn"]?.stringValue ?? ""
            guard existing["Attributes"]?.objectValue == attributes else {
                throw Self.invalid("Token Reason: Endpoint \(arn) already exists with the same Token, but different attributes.")
            }
            return ["EndpointArn": .string(arn)]
        }
        let relative = appArn.split(separator: ":").last.map(String.init) ?? ""
        let arn = "arn:aws:sns:\(region):\(account):endpoint/\(relative.dropFirst("app/".count))/\(UUIDText.random())"
        let doc: JSONObject = ["Arn": .string(arn), "Kind": "endpoint", "Application": .string(appArn), "Attributes": .object(attributes)]
        try await platform(arn) { (v: inout JSONObject?) throws(ServiceError) in v = doc }
        return ["EndpointArn": .string(arn)]
    }

    func endpoint(_ request: JSONRequest) async throws(ServiceError) -> (String, JSONObject) {
        let arn = try request.string("EndpointArn") ?? ""
        let parts = try Self.arnParts(arn, member: "EndpointArn")
        guard parts[5].split(separator: "/", omittingEmptySubsequences: false).count == 4 else {
            throw Self.invalid("EndpointArn Reason: Wrong number of slashes in relative portion of the ARN.")
        }
        guard let doc = await platformBook.get(arn), doc["Kind"] == "endpoint" else { throw Self.notFound("Endpoint does not exist") }
        return (arn, doc)
    }

    func getEndpointAttributes(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let (_, doc) = try await endpoint(request)
        return ["Attributes": doc["Attributes"] ?? [:]]
    }

    func setEndpointAttributes(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        guard let attributes = request.body["Attributes"]?.objectValue else { throw Self.validationNull("attributes") }
        let (arn, _) = try await endpoint(request)
        try checkEndpointAttributes(attributes)
        try await platform(arn) { (v: inout JSONObject?) throws(ServiceError) in
            var a = v?["Attributes"]?.objectValue ?? [:]
            for (k, x) in attributes { a[k] = x }
            v?["Attributes"] = .object(a)
        }
        return [:]
    }

    func deleteEndpoint(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try request.required("EndpointArn")
        try await platform(arn) { (v: inout JSONObject?) throws(ServiceError) in v = nil }
        for (key, s) in await subscriptions.all where s["Endpoint"]?.stringValue == arn {
            try await subscriptions.update(key) { (v: inout JSONObject?) throws(ServiceError) in v = nil }
        }
        await reindex()
        return [:]
    }

    func listEndpointsByPlatformApplication(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let (appArn, _) = try await application(request)
        let endpoints = await platformBook.all.map(\.value).filter { $0["Application"]?.stringValue == appArn }
        return ["Endpoints": .array(endpoints.map { ["EndpointArn": $0["Arn"] ?? .null, "Attributes": $0["Attributes"] ?? [:]] })]
    }

    // MARK: SMS

    static func isPhoneNumber(_ s: String) -> Bool {
        guard s.hasPrefix("+") else { return false }
        let digits = s.dropFirst()
        return (5...15).contains(digits.count) && digits.allSatisfy(\.isNumber)
    }

    static let smsAttributes: Set<String> = [
        "MonthlySpendLimit", "DeliveryStatusIAMRole", "DeliveryStatusSuccessSamplingRate", "DefaultSenderID", "DefaultSMSType",
        "UsageReportS3Bucket",
    ]

    func setSMSAttributes(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let given = request.body["attributes"]?.objectValue ?? [:]
        for (k, v) in given {
            guard Self.smsAttributes.contains(k) else { throw ServiceError("InvalidParameterException", "\(k) is not a valid attribute") }
            let text = v.stringValue ?? ""
            if k == "DefaultSenderID" {
                let ok = (1...11).contains(text.count) && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } && text.contains(where: \.isLetter)
                guard ok else { throw ServiceError("InvalidParameterException", "DefaultSendID is not a valid attribute") }
            }
            if k == "DefaultSMSType", text != "Promotional", text != "Transactional" {
                throw ServiceError("InvalidParameterException", "DefaultSMSType is invalid")
            }
        }
        try await platform("sms:attributes") { (v: inout JSONObject?) throws(ServiceError) in
            var a = v ?? [:]
            for (k, x) in given { a[k] = x }
            v = a
        }
        return [:]
    }

    func getSMSAttributes(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let stored = await platformBook.get("sms:attributes") ?? [:]
        let names = (request.body["attributes"]?.arrayValue ?? []).compactMap(\.stringValue)
        var out = JSONObject()
        for (k, v) in stored where names.isEmpty || names.contains(k) { out[k] = v }
        return ["attributes": .object(out)]
    }

    func optInPhoneNumber(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let number = try request.string("phoneNumber") ?? ""
        guard Self.isPhoneNumber(number) else { throw Self.invalid("PhoneNumber Reason: input incorrectly formatted") }
        try await platform("sms:opted-out") { (v: inout JSONObject?) throws(ServiceError) in v?[number] = nil }
        return [:]
    }

    func checkIfPhoneNumberIsOptedOut(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let number = try request.string("phoneNumber") ?? ""
        guard Self.isPhoneNumber(number) else { throw Self.invalid("PhoneNumber Reason: input incorrectly formatted") }
        return ["isOptedOut": .bool(await platformBook.get("sms:opted-out")?[number] != nil)]
    }

    func listPhoneNumbersOptedOut(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let numbers = (await platformBook.get("sms:opted-out") ?? [:]).map { JSON.string($0.key) }
        return ["phoneNumbers": .array(numbers)]
    }
}
