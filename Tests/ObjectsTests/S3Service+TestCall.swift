import ServiceKit
@testable import Objects

extension S3Service {
    /// A request as the front door hands it over: bucket and key from the address, the body
    /// streamed in small chunks (large ones for large bodies) so chunk boundaries are exercised.
    @discardableResult
    func call(_ method: String, _ bucket: String?, _ key: String? = nil, query: [String: String] = [:], headers: [String: String] = [:],
              body: [UInt8] = []) async throws -> ServiceReply {
        var parameters: [String: String] = [:]
        parameters["Bucket"] = bucket
        parameters["Key"] = key
        var c = ServiceCall(action: "S3", method: method, parameters: parameters, query: query, headers: headers)
        c.bodyStream = BodyStream.bytes(body, chunk: body.count > 4096 ? 65536 : 7)
        return try await dispatch(c)
    }
}
