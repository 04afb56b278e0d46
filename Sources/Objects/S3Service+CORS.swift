import ServiceKit
import StatesLanguage

/// CORS on buckets: `?cors` kept and given back, preflight `OPTIONS` answered from the first
/// matching rule (no signature: browsers do not sign a preflight), and the matched rule's
/// headers added to actual requests that carry an `Origin`. So a page can upload through a
/// presigned URL straight into a bucket.
extension S3Service {
    func cors(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        switch call.method {
        case "PUT":
            let body = try await Self.document(call, limit: 64 * 1024)
            guard let root = XMLElementTree.parse(body) else { throw S3Errors.malformedXML() }
            let configuration = try CORSConfiguration(xml: root)
            try await store.setConfiguration(bucket, "cors", configuration.json.serializedBytes)
            return ServiceReply(status: 200)
        case "GET":
            guard let configuration = try await corsConfiguration(bucket) else {
                throw ServiceError("NoSuchCORSConfiguration", "The CORS configuration does not exist", kind: .notFound,
                                   details: ["BucketName": .string(bucket)])
            }
            return Self.xml("CORSConfiguration") { w in configuration.write(&w) }
        case "DELETE":
            try await store.setConfiguration(bucket, "cors", nil)
            return ServiceReply(status: 204)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }

    func corsConfiguration(_ bucket: String) async throws(ServiceError) -> CORSConfiguration? {
        guard let body = try await store.configuration(bucket, "cors"), let json = try? JSONParser.parse(body) else { return nil }
        return CORSConfiguration(json: json)
    }

    /// Access-Control-Request-Headers as a list, lower-cased (as S3 echoes them).
    static func requestedHeaders(_ call: ServiceCall) -> [String] {
        (call.headers["access-control-request-headers"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    }

    /// A preflight request: 200 with the rule's headers, or S3's 403 naming the method.
    func preflight(_ bucket: String?, _ key: String?, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard let origin = call.headers["origin"] else {
            throw ServiceError("BadRequest", "Insufficient information. Origin request header needed.")
        }
        guard let method = call.headers["access-control-request-method"] else {
            throw ServiceError("BadRequest", "Invalid Access-Control-Request-Method: null")
        }
        func forbidden(_ message: String) -> ServiceError {
            ServiceError("AccessForbidden", "CORSResponse: \(message)", kind: .forbidden,
                         details: ["Method": .string(method), "ResourceType": key == nil ? "BUCKET" : "OBJECT"])
        }
        guard let bucket, try await store.bucket(bucket) != nil else { throw forbidden("Bucket not found") }
        guard let configuration = try await corsConfiguration(bucket) else { throw forbidden("CORS is not enabled for this bucket.") }
        let requested = Self.requestedHeaders(call)
        guard let rule = configuration.preflight(origin: origin, method: method, requestHeaders: requested) else {
            throw forbidden("This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
        }
        return ServiceReply(status: 200, headers: CORSConfiguration.headers(rule, origin: origin, allowHeaders: requested.joined(separator: ", ")))
    }

    /// An actual request from a page: the matched rule's headers on its answer.
    func addingCORS(_ reply: ServiceReply, _ bucket: String?, _ call: ServiceCall) async -> ServiceReply {
        guard let origin = call.headers["origin"], let bucket, let configuration = try? await corsConfiguration(bucket),
              let rule = configuration.actual(origin: origin, method: call.method),
              Self.requestedHeaders(call).allSatisfy(rule.allows(header:)) else { return reply }
        var out = reply
        out.headers += CORSConfiguration.headers(rule, origin: origin, allowHeaders: nil)
        return out
    }
}
