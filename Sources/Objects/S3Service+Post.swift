import Foundation
import ServiceKit
import StatesLanguage

/// PostObject: a browser's form upload (`multipart/form-data` to the bucket's URL), signed by
/// its base64 `policy` document, which names what the form may hold. AWS: "The form fields
/// must be in the order [...] the file or content must be the last field"; every other field
/// must be allowed by a condition of the policy, and the policy must not have expired.
extension S3Service {
    /// Fields that need no condition of the policy (AWS's list, and `x-ignore-*`).
    static let unconditionedFields: Set<String> = [
        "policy", "signature", "awsaccesskeyid", "x-amz-signature", "file", "x-amz-security-token",
    ]

    func postObject(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        guard let boundary = FormDataReader.boundary(call.headers["content-type"] ?? "") else {
            throw ServiceError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", kind: .preconditionFailed,
                               details: ["Condition": "Bucket POST must be of the enclosure-type multipart/form-data"])
        }
        let stream = call.bodyStream
        var whole: [UInt8]? = call.body
        let reader = FormDataReader(boundary: boundary, next: {
            if let stream { return try await stream.next() }
            defer { whole = nil }
            return whole
        })
        // The fields up to the file, names lower-cased (S3 takes them in any case).
        var fields: [String: String] = [:]
        var file: FormDataReader.Part?
        do {
            var total = 0
            while let part = try await reader.nextPart() {
                if part.name.lowercased() == "file" {
                    file = part
                    break
                }
                let value = try await reader.value(limit: 20 * 1024)
                total += value.count
                if total > 64 * 1024 { throw ServiceError("MaxPostPreDataLengthExceeded", "Your POST request fields preceeding the upload file were too large.") }
                fields[part.name.lowercased()] = String(decoding: value, as: UTF8.self)
            }
        } catch let e as ServiceError { throw e } catch { throw FormDataReader.malformed }
        guard let file else {
            throw S3Errors.invalidArgument("POST requires exactly one file upload per request.", name: "file", value: "0")
        }
        guard var key = fields["key"] else {
            throw S3Errors.invalidArgument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
                                           name: "key", value: "")
        }
        // AWS: "${filename}" in the key is the name of the file the user uploaded.
        // (A file sent as a plain field has no name, and its key keeps the variable as written.)
        if let name = file.filename { key = key.replacingOccurrences(of: "${filename}", with: name) }
        guard !key.isEmpty else { throw S3Errors.invalidArgument("User key must have a length greater than 0.", name: "key", value: "") }
        let range = try checkPolicy(fields, bucket: bucket, call: call)

        var headers: [String: String] = [:]
        for (k, v) in fields where Self.systemHeaders.contains(k) || k.hasPrefix("x-amz-meta-") { headers[k] = v }
        if headers["content-type"] == nil { headers["content-type"] = "binary/octet-stream" }
        let written = try await UploadWriter.write(headers: [:], next: { try await reader.nextChunk() }, into: store)
        if let range {
            func refuse(_ code: String, _ message: String, _ limit: String, _ value: Int64) -> ServiceError {
                ServiceError(code, message, details: ["ProposedSize": .string(String(written.size)), limit: .string(String(value))])
            }
            var refusal: ServiceError?
            if written.size > range.max { refusal = refuse("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", "MaxSizeAllowed", range.max) }
            if written.size < range.min { refusal = refuse("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", "MinSizeAllowed", range.min) }
            if let refusal {
                await store.removeFiles([written.file])
                throw refusal
            }
        }
        var kept = JSONObject()
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { kept[k] = .string(v) }
        for (k, v) in written.checksums { kept[k] = .string(v) }
        if let tagging = fields["tagging"] {
            guard let root = XMLElementTree.parse(Array(tagging.utf8)), let set = root.child("TagSet") else { throw S3Errors.malformedXML() }
            let tags = set.all("Tag").map { ($0.value("Key") ?? "", $0.value("Value") ?? "") }
            try Self.checkTags(tags)
            kept["tagging"] = Self.encodeTags(tags)
        }
        let etag = written.md5.map { String(format: "%02x", $0) }.joined()
        do {
            try await store.put(ObjectStore.Object(bucket: bucket, key: key, file: written.file, size: written.size, etag: etag,
                                                   modifiedMillis: now, headers: kept), cause: cause("ObjectCreated:Post", call))
        } catch {
            await store.removeFiles([written.file])
            throw error
        }
        return postAnswer(bucket: bucket, key: key, etag: etag, fields: fields, call: call)
    }

    /// AWS's answer: a redirect to `success_action_redirect`, else `success_action_status`
    /// (201 with a PostResponse document, 200 empty), else 204.
    func postAnswer(bucket: String, key: String, etag: String, fields: [String: String], call: ServiceCall) -> ServiceReply {
        let host = call.headers["host"] ?? "localhost"
        let name = host.split(separator: ":").first.map(String.init) ?? host
        let virtual = host.contains(".s3.") || name.hasSuffix(".localhost")
        // AWS answers with the object's virtual-hosted URL; a host that cannot carry a bucket
        // name (an IP address, plain localhost) keeps the path.
        let hostable = name.contains(".") && !name.allSatisfy { $0.isNumber || $0 == "." }
        let base = virtual ? "http://\(host)/" : hostable ? "http://\(bucket).\(host)/" : "http://\(host)/" + S3Service.urlEncode(bucket) + "/"
        let location = base + S3Service.urlEncode(key).replacingOccurrences(of: "%2F", with: "/")
        let headers = [("ETag", Self.etagHeader(etag)), ("Location", location)]
        if let redirect = fields["success_action_redirect"] ?? fields["redirect"], let url = URL(string: redirect), url.scheme != nil, url.host != nil {
            var parts = URLComponents(url: url, resolvingAgainstBaseURL: false)
            let items = (parts?.queryItems ?? []) + [URLQueryItem(name: "bucket", value: bucket), URLQueryItem(name: "key", value: key),
                                                     URLQueryItem(name: "etag", value: Self.etagHeader(etag))]
            parts?.queryItems = items
            return ServiceReply(status: 303, headers: [("Location", parts?.string ?? redirect), ("ETag", Self.etagHeader(etag))])
        }
        switch fields["success_action_status"] {
        case "201":
            return Self.xml("PostResponse", status: 201, headers: headers) { w in
                w.element("Location", location)
                w.element("Bucket", bucket)
                w.element("Key", key)
                w.element("ETag", Self.etagHeader(etag))
            }
        case "200": return ServiceReply(status: 200, headers: headers)
        default: return ServiceReply(status: 204, headers: headers)
        }
    }

    /// The signature (through the front door, when it requires them) and the policy's
    /// expiration and conditions; returns the policy's content-length-range, if any.
    func checkPolicy(_ fields: [String: String], bucket: String, call: ServiceCall) throws(ServiceError) -> (min: Int64, max: Int64)? {
        guard let policy = fields["policy"] else {
            // No policy: an anonymous upload, which only an endpoint without required signatures takes.
            if call.verifyForm != nil { throw ServiceError("AccessDenied", "Access Denied", kind: .forbidden) }
            return nil
        }
        let v4 = fields["x-amz-algorithm"] != nil || fields["x-amz-credential"] != nil
        let signatureField = v4 ? "x-amz-signature" : "signature"
        guard fields[signatureField] != nil else {
            let name = v4 ? "X-Amz-Signature" : "Signature"
            throw ServiceError("InvalidArgument", "Bucket POST must contain a field named '\(name)'.  If it is specified, please check the order of the fields.",
                               details: ["ArgumentName": .string(name), "ArgumentValue": .null])
        }
        if let verify = call.verifyForm, let failure = verify(fields) { throw failure }
        func invalid(_ why: String) -> ServiceError { ServiceError("InvalidPolicyDocument", "Invalid Policy: \(why)") }
        guard let decoded = Data(base64Encoded: policy), case .object(let document)? = try? JSONParser.parse(Array(decoded)) else {
            throw invalid("Invalid JSON.")
        }
        guard let expiration = document["expiration"]?.stringValue else { throw invalid("Policy missing expiration.") }
        guard let expires = Timestamp(iso8601: expiration) else { throw invalid("Invalid 'expiration' value: '\(expiration)'") }
        if expires.milliseconds < now { throw ServiceError("AccessDenied", "Invalid according to Policy: Policy expired.", kind: .forbidden) }
        guard let conditions = document["conditions"]?.arrayValue else { throw invalid("Policy missing conditions.") }
        var all = fields
        all["bucket"] = bucket
        var covered: Set<String> = ["bucket"]
        var range: (min: Int64, max: Int64)?
        func failed(_ c: JSON) -> ServiceError {
            // AWS writes a condition array with a space after each comma.
            let text = c.arrayValue.map { "[" + $0.map(\.serialized).joined(separator: ", ") + "]" } ?? c.serialized
            return ServiceError("AccessDenied", "Invalid according to Policy: Policy Condition failed: \(text)", kind: .forbidden)
        }
        for c in conditions {
            switch c {
            case .object(let o):
                for (name, value) in o {
                    let field = name.lowercased()
                    covered.insert(field)
                    if all[field] != value.stringValue { throw failed(c) }
                }
            case .array(let a) where a.count == 3:
                let op = a[0].stringValue?.lowercased() ?? ""
                if op == "content-length-range" {
                    guard let lo = a[1].integerValue ?? a[1].stringValue.flatMap({ Int64($0) }),
                          let hi = a[2].integerValue ?? a[2].stringValue.flatMap({ Int64($0) }) else { throw failed(c) }
                    range = (lo, hi)
                    continue
                }
                guard let name = a[1].stringValue, name.hasPrefix("$"), let value = a[2].stringValue else { throw invalid("Invalid condition.") }
                let field = String(name.dropFirst()).lowercased()
                covered.insert(field)
                let actual = all[field] ?? ""
                switch op {
                case "eq": if actual != value { throw failed(c) }
                case "starts-with":
                    // AWS: a starts-with on Content-Type checks each comma-separated value.
                    let values = field == "content-type" ? actual.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } : [actual]
                    if !values.allSatisfy({ $0.hasPrefix(value) }) { throw failed(c) }
                default: throw invalid("Invalid condition operator '\(op)'.")
                }
            default:
                throw invalid("Invalid condition.")
            }
        }
        let extra = fields.keys.filter { !covered.contains($0) && !Self.unconditionedFields.contains($0) && !$0.hasPrefix("x-ignore-") }
        if let first = extra.sorted().first {
            throw ServiceError("AccessDenied", "Invalid according to Policy: Extra input fields: \(first)", kind: .forbidden)
        }
        return range
    }
}
