import Foundation
import ServiceKit
import StatesLanguage

/// A bucket's or an object's ACL: its grants, from a canned ACL (`x-amz-acl`), grant headers
/// (`x-amz-grant-read: uri="…", id="…"`) or an `AccessControlPolicy` document, each checked
/// as S3 checks it. This endpoint has one account, so the only canonical user is its owner.
struct AccessControlList: Sendable, Equatable {
    struct Grant: Sendable, Equatable {
        /// CanonicalUser, Group or AmazonCustomerByEmail.
        var type: String
        var value: String
        var permission: String
    }

    var grants: [Grant]

    static let allUsers = "http://acs.amazonaws.com/groups/global/AllUsers"
    static let authenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
    static let logDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery"
    static let groups: Set<String> = [allUsers, authenticatedUsers, logDelivery]
    static let permissions: Set<String> = ["FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"]
    static let grantHeaders: [(header: String, permission: String)] = [
        ("x-amz-grant-full-control", "FULL_CONTROL"), ("x-amz-grant-write", "WRITE"), ("x-amz-grant-write-acp", "WRITE_ACP"),
        ("x-amz-grant-read", "READ"), ("x-amz-grant-read-acp", "READ_ACP"),
    ]

    static func owner(_ account: String) -> AccessControlList {
        AccessControlList(grants: [Grant(type: "CanonicalUser", value: account, permission: "FULL_CONTROL")])
    }

    /// A canned ACL's grants (AWS's "Canned ACL" table); nil for a name it does not have.
    static func canned(_ name: String, owner: String, bucket: Bool) -> AccessControlList? {
        var acl = Self.owner(owner)
        switch name {
        case "private", "bucket-owner-read", "bucket-owner-full-control", "aws-exec-read": break
        case "public-read": acl.grants.append(Grant(type: "Group", value: allUsers, permission: "READ"))
        case "public-read-write":
            acl.grants.append(Grant(type: "Group", value: allUsers, permission: "READ"))
            acl.grants.append(Grant(type: "Group", value: allUsers, permission: "WRITE"))
        case "authenticated-read": acl.grants.append(Grant(type: "Group", value: authenticatedUsers, permission: "READ"))
        case "log-delivery-write" where bucket:
            acl.grants.append(Grant(type: "Group", value: logDelivery, permission: "WRITE"))
            acl.grants.append(Grant(type: "Group", value: logDelivery, permission: "READ_ACP"))
        default: return nil
        }
        return acl
    }

    /// The ACL a request sets, from its headers or its body; nil when it sets none.
    static func from(headers h: [String: String], body: [UInt8], owner: String, bucket: Bool) throws(ServiceError) -> AccessControlList? {
        let canned = h["x-amz-acl"]
        let granted = grantHeaders.filter { h[$0.header] != nil }
        if canned != nil && !granted.isEmpty {
            throw ServiceError("InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed")
        }
        if (canned != nil || !granted.isEmpty) && !body.isEmpty {
            throw ServiceError("UnexpectedContent", "This request does not support content")
        }
        if let canned {
            guard let acl = Self.canned(canned, owner: owner, bucket: bucket) else {
                throw S3Errors.invalidArgument("", name: "x-amz-acl", value: canned)
            }
            return acl
        }
        if !granted.isEmpty {
            var grants: [Grant] = []
            for (header, permission) in granted {
                let text = h[header] ?? ""
                for part in text.split(separator: ",") {
                    let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard kv.count == 2 else { throw S3Errors.invalidArgument("Argument format not recognized", name: header, value: text) }
                    let value = kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    switch kv[0] {
                    case "id":
                        guard value == owner else { throw S3Errors.invalidArgument("Invalid id", name: "id", value: value) }
                        grants.append(Grant(type: "CanonicalUser", value: value, permission: permission))
                    case "uri":
                        guard groups.contains(value) else { throw S3Errors.invalidArgument("Invalid group uri", name: "uri", value: value) }
                        grants.append(Grant(type: "Group", value: value, permission: permission))
                    case "emailAddress":
                        grants.append(Grant(type: "AmazonCustomerByEmail", value: value, permission: permission))
                    default:
                        throw S3Errors.invalidArgument("Argument format not recognized", name: header, value: text)
                    }
                }
            }
            return AccessControlList(grants: grants)
        }
        guard !body.isEmpty else { return nil }
        return try document(body, owner: owner)
    }

    static var malformed: ServiceError {
        ServiceError("MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema")
    }

    /// An `AccessControlPolicy` document: an owner (this account) and well-formed grants.
    static func document(_ body: [UInt8], owner: String) throws(ServiceError) -> AccessControlList {
        guard let root = XMLElementTree.parse(body), root.name == "AccessControlPolicy", let ownerNode = root.child("Owner"),
              let list = root.child("AccessControlList") else { throw malformed }
        var grants: [Grant] = []
        for g in list.all("Grant") {
            guard let grantee = g.child("Grantee"), let permission = g.value("Permission"), permissions.contains(permission),
                  let type = grantee.attributes["type"] else { throw malformed }
            switch type {
            case "CanonicalUser":
                guard let id = grantee.value("ID") else { throw malformed }
                grants.append(Grant(type: type, value: id, permission: permission))
            case "Group":
                guard let uri = grantee.value("URI") else { throw malformed }
                grants.append(Grant(type: type, value: uri, permission: permission))
            case "AmazonCustomerByEmail":
                guard let email = grantee.value("EmailAddress") else { throw malformed }
                grants.append(Grant(type: type, value: email, permission: permission))
            default: throw malformed
            }
        }
        guard ownerNode.value("ID") == owner else {
            throw S3Errors.invalidArgument("Invalid id", name: "CanonicalUser/ID", value: ownerNode.value("ID") ?? "")
        }
        for g in grants {
            if g.type == "Group", !groups.contains(g.value) { throw S3Errors.invalidArgument("Invalid group uri", name: "Group/URI", value: g.value) }
            if g.type == "CanonicalUser", g.value != owner { throw S3Errors.invalidArgument("Invalid id", name: "CanonicalUser/ID", value: g.value) }
        }
        return AccessControlList(grants: grants)
    }

    var json: JSON { .array(grants.map { ["Type": .string($0.type), "Value": .string($0.value), "Permission": .string($0.permission)] }) }

    init(grants: [Grant]) { self.grants = grants }

    init?(json: JSON?) {
        guard let a = json?.arrayValue else { return nil }
        grants = a.map { Grant(type: $0["Type"]?.stringValue ?? "", value: $0["Value"]?.stringValue ?? "", permission: $0["Permission"]?.stringValue ?? "") }
    }

    func write(_ w: inout XMLWriter, owner: String) {
        w.raw("<Owner>")
        w.element("ID", owner)
        w.raw("</Owner><AccessControlList>")
        for g in grants {
            w.raw(#"<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="\#(g.type)">"#)
            w.element(g.type == "Group" ? "URI" : g.type == "CanonicalUser" ? "ID" : "EmailAddress", g.value)
            w.raw("</Grantee>")
            w.element("Permission", g.permission)
            w.raw("</Grant>")
        }
        w.raw("</AccessControlList>")
    }
}
