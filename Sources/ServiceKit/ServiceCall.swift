import Foundation
import Engine
import StatesLanguage

/// One request as a service sees it: the action the route named, and what arrived. No HTTP
/// library's types: a service is tested by building calls, with no server.
package struct ServiceCall: Sendable {
    package var action: String
    package var method: String
    package var path: String
    /// Path parameters by the names in the route's pattern.
    package var parameters: [String: String]
    /// Query parameters, percent-decoded (the last value wins).
    package var query: [String: String]
    /// Every value of each query parameter, in order (a list member sent as `K=a&K=b`).
    package var queryValues: [String: [String]] = [:]
    /// Header names lower-cased.
    package var headers: [String: String]
    package var body: [UInt8]
    package var requestId: String
    /// The body already parsed (by the model check in front of a REST action), so an action
    /// does not parse a large body twice.
    package var parsedBody: JSON?
    /// A streamed body (S3's objects), read chunk by chunk instead of `body`; nil for every
    /// other protocol, whose bodies arrive whole.
    package var bodyStream: BodyStream?
    /// Checks a browser form upload's signature (S3's presigned POST: the form's `policy`
    /// signed with the endpoint's key), given the form's fields with lower-cased names. Set by
    /// the front door when it requires signatures; nil when they are optional.
    package var verifyForm: (@Sendable ([String: String]) -> ServiceError?)?
    /// Issues the console's session cookies; set by the front door when it requires
    /// signatures (nil: anyone on the endpoint may use the console).
    package var sessions: ConsoleSessions?
    /// The request's trace in X-Ray's spelling, as the front door handed it on in the headers
    /// (the request's own span as the caller): `traceHeader` without parsing them again.
    package var trace: String?

    package init(action: String, method: String = "POST", path: String = "/", parameters: [String: String] = [:],
                 query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8] = [], requestId: String = "") {
        self.action = action
        self.method = method
        self.path = path
        self.parameters = parameters
        self.query = query
        self.headers = headers
        self.body = body
        self.requestId = requestId
    }

    /// A call with a JSON object body (tests, and services calling each other's actions).
    package init(action: String, json: JSONObject) {
        self.init(action: action, body: JSON.object(json).serializedBytes)
    }

    /// The body as a JSON object (an empty body is `{}`), or AWS's SerializationException.
    package func jsonObject() throws(ServiceError) -> JSONObject {
        if body.isEmpty { return JSONObject() }
        let parsed: JSON
        do { parsed = try JSONParser.parse(body) } catch {
            throw ServiceError.serialization("Malformed JSON in the request body: \(error)")
        }
        guard case .object(let o) = parsed else { throw ServiceError.serialization("The request body must be a JSON object") }
        return o
    }

    /// The body's members with AWS's checks (JSON protocols).
    package func request() throws(ServiceError) -> JSONRequest {
        JSONRequest(body: try jsonObject(), traceHeader: traceHeader, region: signedRegion)
    }

    /// The region of the signature's credential scope (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`).
    package var signedRegion: String? {
        // By bytes: Foundation's range(of:) made this 2 % of a request's CPU.
        guard let auth = headers["authorization"] else { return nil }
        let bytes = Array(auth.utf8), marker = Array("Credential=".utf8)
        guard bytes.count > marker.count,
              let at = (0...(bytes.count - marker.count)).first(where: { bytes[$0..<$0 + marker.count].elementsEqual(marker) })
        else { return nil }
        let scope = bytes[(at + marker.count)...].prefix { $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: " ") }
            .split(separator: UInt8(ascii: "/"))
        return scope.count >= 5 ? String(decoding: scope[2], as: UTF8.self) : nil
    }

    /// A path parameter the route's pattern guarantees.
    package func parameter(_ name: String) -> String { parameters[name] ?? "" }
}

/// A successful answer. The status is the one the protocol's model gives the action (201 for
/// CreateFunction, 204 for DeleteFunction); errors are thrown, never built here.
/// Produces a streamed reply: `write` sends one piece, and throws once the client has gone.
package typealias ReplyStream = @Sendable (_ write: @escaping @Sendable ([UInt8]) async throws -> Void) async throws -> Void

package struct ServiceReply: Sendable {
    package var status: Int
    package var headers: [(String, String)]
    package var body: [UInt8]
    /// A body sent from an open file, chunk by chunk, instead of `body` (S3's objects): the
    /// file stays readable while it is sent even if the object is replaced meanwhile.
    package var file: FileBody?
    /// A body written piece by piece as it is produced (server-sent events), instead of `body`:
    /// it ends when the producer returns, or when a write throws because the client left.
    package var stream: ReplyStream?

    package init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    package static func json(_ value: JSON, status: Int = 200, headers: [(String, String)] = []) -> ServiceReply {
        ServiceReply(status: status, headers: [("Content-Type", "application/json")] + headers, body: value.serializedBytes)
    }

    package static func empty(status: Int = 204, headers: [(String, String)] = []) -> ServiceReply {
        ServiceReply(status: status, headers: headers)
    }
}

/// A request body read as it arrives: `next()` gives the next chunk, nil at the end.
package struct BodyStream: Sendable {
    package let next: @Sendable () async throws -> [UInt8]?

    package init(next: @escaping @Sendable () async throws -> [UInt8]?) { self.next = next }

    /// A stream over bytes in hand (tests, and calls between services).
    package static func bytes(_ bytes: [UInt8], chunk: Int = 64 * 1024) -> BodyStream {
        let box = LockedValue(0)
        return BodyStream {
            box.mutate { offset -> [UInt8]? in
                guard offset < bytes.count else { return nil }
                let end = min(bytes.count, offset + chunk)
                defer { offset = end }
                return Array(bytes[offset..<end])
            }
        }
    }
}

/// A part of an open file to send as a reply's body.
package struct FileBody: Sendable {
    package let handle: FileHandle
    package let offset: UInt64
    package let length: UInt64

    package init(handle: FileHandle, offset: UInt64, length: UInt64) {
        self.handle = handle
        self.offset = offset
        self.length = length
    }
}

extension ServiceReply {
    /// S3's `x-amz-id-2` for a request ("a special token that helps AWS troubleshoot"):
    /// opaque, derived from the request id, the same in a header and in an event record.
    package static func hostId(_ requestId: String) -> String { Base64.encode(Array(requestId.utf8)) }
}
