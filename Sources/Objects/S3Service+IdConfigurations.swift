import ServiceKit
import StatesLanguage

/// The bucket configurations S3 keeps several of, each under an `Id` (`?metrics&id=…`,
/// `?inventory`, `?intelligent-tiering`, `?analytics`): put, get, delete and listed in Id
/// order, 100 to a page with a continuation token, as S3 pages them. Baton keeps them and
/// gives them back; it publishes no CloudWatch metrics, writes no inventory reports and
/// moves no object between tiers (all objects are in one tier on local disk).
extension S3Service {
    struct IdConfiguration {
        /// The element a configuration is sent and answered as.
        let element: String
        /// The root of the list answer.
        let listRoot: String
        /// Where AWS's list answer puts the configurations.
        static let all: [String: IdConfiguration] = [
            "metrics": IdConfiguration(element: "MetricsConfiguration", listRoot: "ListMetricsConfigurationsResult"),
            "inventory": IdConfiguration(element: "InventoryConfiguration", listRoot: "ListInventoryConfigurationsResult"),
            "intelligent-tiering": IdConfiguration(element: "IntelligentTieringConfiguration",
                                                   listRoot: "ListBucketIntelligentTieringConfigurationsOutput"),
            "analytics": IdConfiguration(element: "AnalyticsConfiguration", listRoot: "ListBucketAnalyticsConfigurationResult"),
        ]
    }

    static let noSuchConfiguration = ServiceError("NoSuchConfiguration", "The specified configuration does not exist.", kind: .notFound)

    /// A request for one of the id-keyed configurations; nil when the query names none.
    func idConfiguration(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply? {
        guard let (sub, kind) = IdConfiguration.all.first(where: { call.query[$0.key] != nil }) else { return nil }
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        let prefix = sub + ":"
        let id = call.query["id"]
        if call.method == "GET", id == nil {
            let token = call.query["continuation-token"]
            let after = token.flatMap { Base64.decode($0) }.map { String(decoding: $0, as: UTF8.self) }
            if token != nil, after == nil { throw ServiceError("InvalidArgument", "The continuation token provided is incorrect") }
            let page = try await store.configurations(bucket, prefix: prefix, after: after, limit: 101)
            let shown = page.prefix(100)
            return Self.xml(kind.listRoot) { w in
                if let token { w.element("ContinuationToken", token) }
                for (_, body) in shown { XMLElementTree.parse(body)?.write(to: &w, as: kind.element) }
                w.element("IsTruncated", page.count > 100 ? "true" : "false")
                if page.count > 100, let last = shown.last { w.element("NextContinuationToken", Base64.encode(Array(last.name.utf8))) }
            }
        }
        guard let id, !id.isEmpty else {
            throw ServiceError("InvalidArgument", "Configuration ID must be provided", details: ["ArgumentName": "id", "ArgumentValue": ""])
        }
        switch call.method {
        case "PUT":
            let body = try await Self.document(call, limit: 64 * 1024)
            // The document names its own Id; one that is not the query's is not S3's schema.
            guard let root = XMLElementTree.parse(body), root.name == kind.element, root.value("Id") == id else { throw S3Errors.malformedXML() }
            try await store.setConfiguration(bucket, prefix + id, body)
            return ServiceReply(status: 204)
        case "GET":
            guard let body = try await store.configuration(bucket, prefix + id), let root = XMLElementTree.parse(body) else { throw Self.noSuchConfiguration }
            var w = XMLWriter()
            w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
            root.write(to: &w, as: kind.element)
            return ServiceReply(status: 200, headers: [("Content-Type", "application/xml")], body: w.bytes)
        case "DELETE":
            guard try await store.configuration(bucket, prefix + id) != nil else { throw Self.noSuchConfiguration }
            try await store.setConfiguration(bucket, prefix + id, nil)
            return ServiceReply(status: 204)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }
}
