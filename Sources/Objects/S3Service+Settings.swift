import ServiceKit
import StatesLanguage

/// Bucket settings that are one value each, kept and given back with S3's checks: Transfer
/// Acceleration (`?accelerate`, Enabled or Suspended; none for a bucket with periods in its
/// name) and who pays for requests (`?requestPayment`, BucketOwner unless set to Requester).
/// Baton has no edge network and no billing: they change nothing else.
extension S3Service {
    func accelerate(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        switch call.method {
        case "GET":
            let status = try await store.configuration(bucket, "accelerate").map { String(decoding: $0, as: UTF8.self) }
            return Self.xml("AccelerateConfiguration") { w in if let status { w.element("Status", status) } }
        case "PUT":
            let body = try await Self.document(call, limit: 16 * 1024)
            // AWS checks the bucket's name before the document.
            guard !bucket.contains(".") else {
                throw ServiceError("InvalidRequest", "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names")
            }
            guard let root = XMLElementTree.parse(body), root.name == "AccelerateConfiguration",
                  let status = root.value("Status"), ["Enabled", "Suspended"].contains(status) else { throw S3Errors.malformedXML() }
            try await store.setConfiguration(bucket, "accelerate", Array(status.utf8))
            return ServiceReply(status: 200)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }

    func requestPayment(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        switch call.method {
        case "GET":
            let payer = try await store.configuration(bucket, "requestPayment").map { String(decoding: $0, as: UTF8.self) } ?? "BucketOwner"
            return Self.xml("RequestPaymentConfiguration") { w in w.element("Payer", payer) }
        case "PUT":
            let body = try await Self.document(call, limit: 16 * 1024)
            guard let root = XMLElementTree.parse(body), root.name == "RequestPaymentConfiguration",
                  let payer = root.value("Payer"), ["BucketOwner", "Requester"].contains(payer) else { throw S3Errors.malformedXML() }
            try await store.setConfiguration(bucket, "requestPayment", Array(payer.utf8))
            return ServiceReply(status: 200)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }
}
