import Foundation
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// S3 from a workflow: `arn:aws:states:::aws-sdk:s3:<action>` (the request's members as the
/// Task's parameters, the SDK's result shape as its result) and the `s3:getObject`,
/// `s3:listObjectsV2` and `s3:putObject` resources a Distributed Map's ItemReader and
/// ResultWriter name. Errors are named as AWS's SDK integration names them:
/// `S3.NoSuchBucketException`, with the SDK's cause text.
struct S3TaskHandler: TaskHandler {
    let service: S3Service

    func invoke(_ inv: TaskInvocation) async -> TaskOutcome {
        let action: String
        var mapRun = false
        switch TaskResource(inv.resource)?.target {
        case .sdk(_, let name)?: action = name
        case .integration(_, let name)?:
            action = name
            mapRun = true
        default: return .failed(StatesError(StatesError.runtime, "\(inv.resource) is not an S3 integration"))
        }
        let p = inv.parameters
        do {
            if mapRun { return .succeeded(try await mapRunCall(action, p, requestId: UUIDText.random())) }
            return .succeeded(try await perform(action, p, requestId: UUIDText.random()))
        } catch {
            let exception = error.code.hasSuffix("Exception") ? error.code : error.code + "Exception"
            return .failed(StatesError("S3.\(exception)",
                "\(error.message) (Service: S3, Status Code: \(error.restStatus), Request ID: \(UUIDText.randomHex().prefix(16).uppercased()), Extended Request ID: \(ServiceReply.hostId(UUIDText.random())))"))
        }
    }

    func string(_ p: JSON, _ name: String) throws(ServiceError) -> String {
        guard let v = p[name]?.stringValue else {
            throw ServiceError("InvalidRequest", "Missing required parameter '\(name)'")
        }
        return v
    }

    func perform(_ action: String, _ p: JSON, requestId: String) async throws(ServiceError) -> JSON {
        switch action.lowercased() {
        case "getobject", "headobject":
            let bucket = try string(p, "Bucket"), key = try string(p, "Key")
            guard let o = try await service.store.object(bucket, key) else {
                if try await service.store.bucket(bucket) == nil { throw S3Errors.noSuchBucket(bucket) }
                throw S3Errors.noSuchKey(key)
            }
            var out = Self.objectFields(o)
            if action.lowercased() == "getobject" {
                let bytes = try await service.store.bytes.readAll(o.file, size: o.size)
                out["Body"] = .string(String(decoding: bytes, as: UTF8.self))
            }
            return .object(out)
        case "putobject":
            let bucket = try string(p, "Bucket"), key = try string(p, "Key")
            // The SDK sends a string as it is; any other JSON value as its text.
            let body: [UInt8] = p["Body"].map { $0.stringValue.map { Array($0.utf8) } ?? $0.serializedBytes } ?? []
            var headers = ["x-amz-sdk-checksum-algorithm": "CRC32"]
            if let t = p["ContentType"]?.stringValue { headers["content-type"] = t }
            for (k, v) in p["Metadata"]?.objectValue ?? [:] { headers["x-amz-meta-" + k.lowercased()] = v.stringValue ?? v.serialized }
            let call = ServiceCall(action: "S3", method: "PUT", parameters: ["Bucket": bucket, "Key": key], headers: headers, body: body,
                                   requestId: requestId)
            let reply = try await service.putObject(bucket, key, call)
            var out = JSONObject()
            for (name, value) in reply.headers {
                switch name.lowercased() {
                case "etag": out["ETag"] = .string(value)
                case "x-amz-server-side-encryption": out["ServerSideEncryption"] = .string(value)
                case "x-amz-checksum-crc32": out["ChecksumCRC32"] = .string(value)
                case "x-amz-checksum-type": out["ChecksumType"] = .string(value)
                default: break
                }
            }
            return .object(out)
        case "deleteobject":
            let bucket = try string(p, "Bucket"), key = try string(p, "Key")
            try await service.store.delete(bucket, keys: [key], cause: service.cause("ObjectRemoved:Delete", ServiceCall(action: "S3", requestId: requestId)))
            return .object([:])
        case "listobjectsv2", "listobjects":
            return try await listObjects(p, v2: action.lowercased() == "listobjectsv2")
        case "listbuckets":
            return await ["Buckets": .array(try service.store.buckets().map { ["Name": .string($0.name), "CreationDate": .string(S3Service.iso($0.createdMillis))] }),
                    "Owner": ["ID": .string(service.account)]]
        case "headbucket":
            let bucket = try string(p, "Bucket")
            guard try await service.store.bucket(bucket) != nil else { throw ServiceError("NotFound", "Not Found", kind: .notFound) }
            return ["BucketRegion": .string(service.region)]
        case "createbucket":
            let bucket = try string(p, "Bucket")
            _ = try await service.createBucket(bucket, ServiceCall(action: "S3", method: "PUT", requestId: requestId))
            return ["Location": .string("/" + bucket)]
        case "deletebucket":
            try await service.store.deleteBucket(try string(p, "Bucket"))
            return .object([:])
        default:
            throw ServiceError("UnsupportedOperation", "The S3 action '\(action)' is not available from a workflow on this endpoint yet", kind: .notImplemented)
        }
    }

    /// What a Distributed Map's ItemReader and ResultWriter ask of S3: an object's content,
    /// every object of a listing as the reader's items (AWS's item shape: `Etag`, `Key`,
    /// `LastModified` in epoch seconds, `Size`, `StorageClass`), several objects written.
    func mapRunCall(_ action: String, _ p: JSON, requestId: String) async throws(ServiceError) -> JSON {
        switch action {
        case "listObjectsV2":
            let bucket = try string(p, "Bucket")
            guard try await service.store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
            var items: [JSON] = []
            var after = p["StartAfter"]?.stringValue
            while true {
                let page = try await service.page(bucket, prefix: p["Prefix"]?.stringValue ?? "", delimiter: nil, after: after, max: 1000)
                for o in page.objects {
                    items.append(["Etag": .string(S3Service.etagHeader(o.etag)), "Key": .string(o.key), "LastModified": .int(o.modifiedMillis / 1000),
                                  "Size": .int(o.size), "StorageClass": o.headers["x-amz-storage-class"] ?? "STANDARD"])
                }
                guard page.truncated, let last = page.last else { break }
                after = last
            }
            return ["Items": .array(items)]
        case "getObject" where p["InputType"]?.stringValue == "MANIFEST":
            return try await manifestFiles(p)
        case "putObject" where p["Objects"] != nil:
            let bucket = try string(p, "Bucket")
            var written: [JSON] = []
            for o in p["Objects"]?.arrayValue ?? [] {
                written.append(try await perform("putObject", ["Bucket": .string(bucket), "Key": o["Key"] ?? .null, "Body": o["Body"] ?? ""],
                                                 requestId: requestId))
            }
            return ["Written": .array(written)]
        default:
            return try await perform(action, p, requestId: requestId)
        }
    }

    /// An S3 inventory manifest (`manifest.json`: `fileFormat` CSV, `fileSchema`, `files` in
    /// the destination bucket) and the text of each file it names, gunzipped; the reader makes
    /// their rows its items (`ItemSource.manifestItems`).
    func manifestFiles(_ p: JSON) async throws(ServiceError) -> JSON {
        let bucket = try string(p, "Bucket"), key = try string(p, "Key")
        let manifest = try await objectBytes(bucket, key)
        guard case .object(let m)? = try? JSONParser.parse(manifest) else {
            throw ServiceError("InvalidManifest", "The manifest s3://\(bucket)/\(key) is not valid JSON")
        }
        guard m["fileFormat"]?.stringValue?.uppercased() == "CSV" else {
            throw ServiceError("InvalidManifest", "Only CSV inventory reports can be read (the manifest's fileFormat is \(m["fileFormat"]?.stringValue ?? "missing"))")
        }
        let schema = (m["fileSchema"]?.stringValue ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        // The files are in the report's destination bucket (an ARN in the manifest).
        let destination = (m["destinationBucket"]?.stringValue).map { $0.hasPrefix("arn:aws:s3:::") ? String($0.dropFirst(13)) : $0 } ?? bucket
        var files: [JSON] = []
        for f in m["files"]?.arrayValue ?? [] {
            guard let fileKey = f["key"]?.stringValue else { throw ServiceError("InvalidManifest", "A file of the manifest has no key") }
            var bytes = try await objectBytes(destination, fileKey)
            if Gzip.isGzip(bytes) { bytes = try Gzip.decompress(bytes) }
            files.append(.string(String(decoding: bytes, as: UTF8.self)))
        }
        return ["Files": .array(files), "Schema": .array(schema.map { .string($0) })]
    }

    func objectBytes(_ bucket: String, _ key: String) async throws(ServiceError) -> [UInt8] {
        guard let o = try await service.store.object(bucket, key) else {
            if try await service.store.bucket(bucket) == nil { throw S3Errors.noSuchBucket(bucket) }
            throw S3Errors.noSuchKey(key)
        }
        return try await service.store.bytes.readAll(o.file, size: o.size)
    }

    /// HeadObject's members (GetObject's without the Body).
    static func objectFields(_ o: ObjectStore.Object) -> JSONObject {
        var out = JSONObject()
        out["AcceptRanges"] = "bytes"
        out["ContentLength"] = .int(o.size)
        out["ContentType"] = o.headers["content-type"] ?? "binary/octet-stream"
        out["ETag"] = .string(S3Service.etagHeader(o.etag))
        // The SDK integrations render timestamps in ISO 8601.
        out["LastModified"] = .string(S3Service.iso(o.modifiedMillis))
        var metadata = JSONObject()
        for (k, v) in o.headers where k.hasPrefix("x-amz-meta-") { metadata[String(k.dropFirst("x-amz-meta-".count))] = v }
        out["Metadata"] = .object(metadata)
        out["ServerSideEncryption"] = "AES256"
        return out
    }

    func listObjects(_ p: JSON, v2: Bool) async throws(ServiceError) -> JSON {
        let bucket = try string(p, "Bucket")
        guard try await service.store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        let prefix = p["Prefix"]?.stringValue ?? ""
        let delimiter = p["Delimiter"]?.stringValue
        let max = Int(p["MaxKeys"]?.integerValue ?? 1000)
        var after = v2 ? p["StartAfter"]?.stringValue : p["Marker"]?.stringValue
        if v2, let token = p["ContinuationToken"]?.stringValue {
            guard let data = Data(base64Encoded: token), let key = String(data: data, encoding: .utf8) else {
                throw S3Errors.invalidArgument("The continuation token provided is incorrect", name: "continuation-token")
            }
            after = key
        }
        let page = try await service.page(bucket, prefix: prefix, delimiter: delimiter, after: after, max: min(max, 1000))
        var out = JSONObject()
        out["IsTruncated"] = .bool(page.truncated)
        out["Contents"] = .array(page.objects.map { o in
            ["Key": .string(o.key), "LastModified": .string(S3Service.iso(o.modifiedMillis)), "ETag": .string(S3Service.etagHeader(o.etag)),
             "Size": .int(o.size), "StorageClass": o.headers["x-amz-storage-class"] ?? "STANDARD"]
        })
        out["Name"] = .string(bucket)
        out["Prefix"] = .string(prefix)
        if let delimiter { out["Delimiter"] = .string(delimiter) }
        out["MaxKeys"] = .int(Int64(max))
        if !page.prefixes.isEmpty { out["CommonPrefixes"] = .array(page.prefixes.map { ["Prefix": .string($0)] }) }
        if v2 {
            out["KeyCount"] = .int(Int64(page.objects.count + page.prefixes.count))
            if let t = p["ContinuationToken"] { out["ContinuationToken"] = t }
            if page.truncated, let last = page.last { out["NextContinuationToken"] = .string(Data(last.utf8).base64EncodedString()) }
        } else if page.truncated, let last = page.last {
            out["NextMarker"] = .string(last)
        }
        return .object(out)
    }
}
