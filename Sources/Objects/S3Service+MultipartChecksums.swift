import Foundation
import ServiceKit
import StatesLanguage

/// A multipart upload's checksums, as S3 keeps them since 2025: the upload names an algorithm
/// and a type. COMPOSITE (CRC32, CRC32C, SHA1, SHA256): the object's checksum is the
/// algorithm over the parts' digests, shown `value-N`; the complete request must give each
/// part's. FULL_OBJECT (CRC32, CRC32C, CRC64NVME): the algorithm over the whole object. An
/// upload that names none gets a full-object CRC64NVME, as every object does.
extension S3Service {
    static let checksumTypeHeader = "x-amz-checksum-type"
    /// The parts of a multipart object, kept with it (`[{size, checksum}]`) for GetObject's
    /// `partNumber` and GetObjectAttributes' ObjectParts. Not a string: never sent as a header.
    static let partsKey = "parts"

    /// CreateMultipartUpload's algorithm and type, checked as AWS checks them.
    static func uploadChecksumSettings(_ call: ServiceCall) throws(ServiceError) -> (Checksum.Algorithm, String)? {
        let type = call.headers[checksumTypeHeader]?.uppercased()
        guard let named = call.headers["x-amz-checksum-algorithm"] else {
            if type != nil {
                throw ServiceError("InvalidRequest", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
            }
            return nil
        }
        guard let algorithm = Checksum.Algorithm(rawValue: named.uppercased()) else {
            throw S3Errors.invalidArgument("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
                                           name: "x-amz-checksum-algorithm", value: named)
        }
        let resolved = type ?? (algorithm == .crc64nvme ? "FULL_OBJECT" : "COMPOSITE")
        guard ["COMPOSITE", "FULL_OBJECT"].contains(resolved) else {
            throw S3Errors.invalidArgument("Value for x-amz-checksum-type header is invalid.", name: checksumTypeHeader, value: resolved)
        }
        let composable: Set<Checksum.Algorithm> = [.crc32, .crc32c, .sha1, .sha256]
        let fullObject: Set<Checksum.Algorithm> = [.crc32, .crc32c, .crc64nvme]
        if (resolved == "COMPOSITE" && !composable.contains(algorithm)) || (resolved == "FULL_OBJECT" && !fullObject.contains(algorithm)) {
            throw ServiceError("InvalidRequest",
                               "The \(resolved) checksum type cannot be used with the \(algorithm.rawValue.lowercased()) checksum algorithm.")
        }
        return (algorithm, resolved)
    }

    /// The algorithm and type an upload was created with.
    static func uploadChecksum(_ u: ObjectStore.Upload) -> (Checksum.Algorithm, String)? {
        guard let a = u.headers["x-amz-checksum-algorithm"]?.stringValue.flatMap(Checksum.Algorithm.init(rawValue:)) else { return nil }
        return (a, u.headers[checksumTypeHeader]?.stringValue ?? "COMPOSITE")
    }

    /// The algorithm a request's own checksum headers name.
    static func requestAlgorithm(_ h: [String: String]) -> Checksum.Algorithm? {
        if let a = Checksum.Algorithm.allCases.first(where: { h[$0.header] != nil }) { return a }
        if let t = h["x-amz-trailer"], let a = Checksum.Algorithm.allCases.first(where: { $0.header == t.lowercased() }) { return a }
        return h["x-amz-sdk-checksum-algorithm"].flatMap { Checksum.Algorithm(rawValue: $0.uppercased()) }
    }

    /// A part of an upload with an algorithm must be sent with that one (or none, computed here).
    static func checkPartAlgorithm(_ u: ObjectStore.Upload, _ call: ServiceCall) throws(ServiceError) {
        guard let (expected, _) = uploadChecksum(u), let given = requestAlgorithm(call.headers), given != expected else { return }
        throw ServiceError("InvalidRequest", "Checksum Type mismatch occurred, expected checksum Type: \(expected.rawValue.lowercased()), "
                           + "actual checksum Type: \(given.rawValue.lowercased())")
    }

    /// CompleteMultipartUpload's checks of the parts' checksums named in the request, for an
    /// upload with a checksum: every part's, matching, for COMPOSITE; the request's type the upload's.
    static func checkCompleteChecksums(_ u: ObjectStore.Upload, _ listed: [XMLElementTree.Node], _ chosen: [ObjectStore.Part],
                                       _ call: ServiceCall) throws(ServiceError) {
        guard let (algorithm, type) = uploadChecksum(u) else { return }
        if let asked = call.headers[checksumTypeHeader]?.uppercased(), asked != type {
            throw ServiceError("InvalidRequest", "The upload was created using the \(type) checksum mode. The complete request must use the same checksum mode.")
        }
        guard type == "COMPOSITE" else { return }
        for (node, part) in zip(listed, chosen) {
            guard let given = node.value("Checksum" + algorithm.rawValue) else {
                throw ServiceError("InvalidRequest", "The upload was created using a \(algorithm.rawValue.lowercased()) checksum. The complete request must include the checksum for each part. It was missing for part \(part.number) in the request.")
            }
            if given != part.checksumParts?.value {
                throw invalidPart(u.id, part.number, part.etag)
            }
        }
    }

    static func invalidPart(_ id: String, _ number: Int, _ etag: String) -> ServiceError {
        ServiceError("InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
                     details: ["UploadId": .string(id), "PartNumber": .string(String(number)), "ETag": .string(etag)])
    }

    /// The object's checksum for a COMPOSITE upload: the algorithm over the parts' digests, `-N`.
    static func compositeChecksum(_ algorithm: Checksum.Algorithm, _ parts: [ObjectStore.Part]) -> String {
        var sum = Checksum(algorithm)
        for p in parts { sum.update(p.checksumParts.flatMap { Data(base64Encoded: $0.value) }.map(Array.init) ?? []) }
        return sum.value() + "-\(parts.count)"
    }

    /// A checksum the complete request gives for the whole object must be the one computed.
    /// (AWS takes a whole-object value as such only with `x-amz-checksum-type: FULL_OBJECT`.)
    static func checkWholeChecksum(_ call: ServiceCall, algorithm: Checksum.Algorithm, type: String, value: String) throws(ServiceError) {
        guard let given = Checksum.Algorithm.allCases.first(where: { call.headers[$0.header] != nil }) else { return }
        let saysFull = call.headers[checksumTypeHeader]?.uppercased() == "FULL_OBJECT"
        if given != algorithm || call.headers[given.header] != value || (type == "FULL_OBJECT" && !saysFull) {
            throw ServiceError("BadDigest", "The \(algorithm.rawValue.lowercased()) you specified did not match the calculated checksum.")
        }
    }

    /// What a multipart object keeps of its parts.
    static func encodeParts(_ parts: [ObjectStore.Part]) -> JSON {
        .array(parts.map { p in
            var o: JSONObject = ["size": .int(p.size)]
            if let c = p.checksum { o["checksum"] = .string(c) }
            return .object(o)
        })
    }

    static func decodeParts(_ json: JSON?) -> [(size: Int64, checksum: (algorithm: Checksum.Algorithm, value: String)?)] {
        (json?.arrayValue ?? []).map { p in
            let part = ObjectStore.Part(number: 0, file: "", size: 0, etag: "", modifiedMillis: 0, checksum: p["checksum"]?.stringValue)
            return (p["size"]?.integerValue ?? 0, part.checksumParts)
        }
    }
}
