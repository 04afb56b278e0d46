import ServiceKit
import StatesLanguage

/// The console's browse pages: every service's declared views, listed, and one shown.
struct Browser: Sendable {
    let services: [any BatonService]

    /// `{"views": [{"service", "view", "title"}]}`: the view is its index within the service.
    func index() -> JSON {
        var out: [JSON] = []
        for service in services {
            for (i, view) in service.browseViews.enumerated() {
                out.append(["service": .string(service.name), "view": .string(String(i)), "title": .string(view.title)])
            }
        }
        return ["views": .array(out)]
    }

    /// `{"title", "columns": [...], "rows": [[...]]}`.
    func view(service name: String, index: String) async throws(ServiceError) -> JSON {
        guard let service = services.first(where: { $0.name == name }), let i = Int(index), service.browseViews.indices.contains(i) else {
            throw ServiceError("ResourceNotFoundException", "No view \(index) of service \(name)", kind: .notFound)
        }
        let view = service.browseViews[i]
        let rows: [[String]]
        do { rows = try await view.rows(of: service) } catch let e as ServiceError { throw e } catch {
            throw ServiceError.internalFailure("\(error)")
        }
        return ["service": .string(name), "title": .string(view.title), "columns": .array(view.columns.map { .string($0.title) }),
                "rows": .array(rows.map { .array($0.map { .string($0) }) })]
    }
}
