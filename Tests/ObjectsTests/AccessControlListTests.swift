import ServiceKit
import StatesLanguage
import Testing
@testable import Objects

/// ACLs as S3 reads them: canned names, grant headers and AccessControlPolicy documents, with
/// S3's refusals (the recorded ones of its acl-exceptions test).
@Suite struct AccessControlListTests {
    static let owner = "000000000000"

    static func policy(owner: String = owner, type: String = "Group", grantee: String = "<URI>\(AccessControlList.logDelivery)</URI>",
                       permission: String = "WRITE") -> [UInt8] {
        Array(("<AccessControlPolicy><Owner><ID>\(owner)</ID></Owner><AccessControlList><Grant>"
            + "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"\(type)\">\(grantee)</Grantee>"
            + "<Permission>\(permission)</Permission></Grant></AccessControlList></AccessControlPolicy>").utf8)
    }

    /// (headers, body, S3's error code, its ArgumentName).
    static let refused: [([String: String], [UInt8], String, String?)] = [
        (["x-amz-acl": "fake-acl"], [], "InvalidArgument", "x-amz-acl"),
        (["x-amz-grant-write": "uri=\"http://acs.amazonaws.com/groups/s3/FakeGroup\""], [], "InvalidArgument", "uri"),
        (["x-amz-grant-write": "fakekey=\"1234\""], [], "InvalidArgument", "x-amz-grant-write"),
        (["x-amz-grant-write": "id=\"wrong-id\""], [], "InvalidArgument", "id"),
        (["x-amz-acl": "private", "x-amz-grant-read": "uri=\"\(AccessControlList.logDelivery)\""], [], "InvalidRequest", nil),
        (["x-amz-acl": "private"], policy(), "UnexpectedContent", nil),
        ([:], policy(permission: "WRONG-PERMISSION"), "MalformedACLError", nil),
        ([:], policy(owner: "wrong-id"), "InvalidArgument", "CanonicalUser/ID"),
        ([:], policy(grantee: "<URI>http://acs.amazonaws.com/groups/s3/FakeGroup</URI>"), "InvalidArgument", "Group/URI"),
        ([:], policy(type: "CanonicalUser", grantee: "<ID>wrong-id</ID>"), "InvalidArgument", "CanonicalUser/ID"),
        ([:], policy(type: "BadType"), "MalformedACLError", nil),
    ]

    @Test(arguments: refused)
    func anACLS3RefusesIsRefused(_ headers: [String: String], _ body: [UInt8], _ code: String, _ argument: String?) {
        #expect {
            _ = try AccessControlList.from(headers: headers, body: body, owner: Self.owner, bucket: true)
        } throws: { error in
            let e = error as? ServiceError
            return e?.code == code && e?.details?["ArgumentName"]?.stringValue == argument
        }
    }

    @Test func cannedGrantsAndDocumentsAreRead() throws {
        let read = try #require(try AccessControlList.from(headers: ["x-amz-acl": "public-read"], body: [], owner: Self.owner, bucket: false))
        #expect(read.grants.map(\.permission) == ["FULL_CONTROL", "READ"] && read.grants[1].value == AccessControlList.allUsers)
        let granted = try #require(try AccessControlList.from(headers: ["x-amz-grant-read": "uri=\"\(AccessControlList.logDelivery)\", id=\"\(Self.owner)\""],
                                                            body: [], owner: Self.owner, bucket: false))
        #expect(granted.grants.map(\.type) == ["Group", "CanonicalUser"])
        let document = try #require(try AccessControlList.from(headers: [:], body: Self.policy(), owner: Self.owner, bucket: true))
        #expect(document.grants == [.init(type: "Group", value: AccessControlList.logDelivery, permission: "WRITE")])
        #expect(AccessControlList(json: document.json) == document)
        #expect(try AccessControlList.from(headers: [:], body: [], owner: Self.owner, bucket: true) == nil)
    }
}
