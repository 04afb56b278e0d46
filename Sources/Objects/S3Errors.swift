import ServiceKit
import StatesLanguage

/// S3's errors, with the members its error document carries beside the message.
enum S3Errors {
    static func noSuchBucket(_ name: String) -> ServiceError {
        ServiceError("NoSuchBucket", "The specified bucket does not exist", kind: .notFound, details: ["BucketName": .string(name)])
    }

    static func noSuchKey(_ key: String) -> ServiceError {
        ServiceError("NoSuchKey", "The specified key does not exist.", kind: .notFound, details: ["Key": .string(key)])
    }

    static func noSuchUpload(_ id: String) -> ServiceError {
        ServiceError("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
                     kind: .notFound, details: ["UploadId": .string(id)])
    }

    static func invalidArgument(_ message: String, name: String? = nil, value: String? = nil) -> ServiceError {
        var details = JSONObject()
        if let name { details["ArgumentName"] = .string(name) }
        if let value { details["ArgumentValue"] = .string(value) }
        return ServiceError("InvalidArgument", message, kind: .client, details: details.isEmpty ? nil : details)
    }

    static func malformedXML() -> ServiceError {
        ServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
    }

    static let preconditionFailed = ServiceError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                                                 kind: .preconditionFailed, details: ["Condition": "If-Match"])
}
