/// The one table from an error's kind to an HTTP status, per protocol. The front door renders
/// with it; the only other reader is text that quotes AWS's SDK exceptions ("Status Code: 404").
extension ServiceError {
    package func status(in wire: WireProtocol) -> Int {
        switch wire {
        case .json, .query:
            // JSON and query protocols answer 400 for every client error, whatever its kind (AWS's behaviour).
            switch kind {
            case .client, .notFound, .conflict, .throttled, .preconditionFailed, .unauthenticated, .rangeNotSatisfiable, .methodNotAllowed,
                 .notModified: return 400
            case .forbidden: return 403
            case .tooLarge: return 413
            case .notImplemented: return 501
            case .server: return 500
            case .unavailable: return 503
            }
        case .restJSON, .restXML:
            return restStatus
        }
    }

    /// REST protocols carry the kind in the status.
    package var restStatus: Int {
        switch kind {
        case .client: return 400
        case .unauthenticated, .forbidden: return 403
        case .notFound: return 404
        case .conflict: return 409
        case .preconditionFailed: return 412
        case .tooLarge: return 413
        case .rangeNotSatisfiable: return 416
        case .methodNotAllowed: return 405
        case .notModified: return 304
        case .notImplemented: return 501
        case .throttled: return 429
        case .server: return 500
        case .unavailable: return 503
        }
    }
}
