import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Engine
import ServiceKit
import StatesLanguage

/// One call of an API destination: where, how, and with which headers (the connection's
/// credentials included). EventBridge "retries requests that fail with 401, 407, 409, 429 and
/// 5xx error codes" and no others; the target's retry policy bounds how long.
struct ApiDestinationCall: Sendable {
    var url: URL
    var method: String
    var headers: [(String, String)]

    func perform(body: String) async -> QueueOutcome {
        var request = URLRequest(url: url, timeoutInterval: 5)
        request.httpMethod = method
        if method != "GET" && method != "HEAD" { request.httpBody = Data(body.utf8) }
        request.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.setValue("Amazon/EventBridge/ApiDestinations", forHTTPHeaderField: "User-Agent")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if (200..<300).contains(status) { return .done }
            let answer = "\(method) \(url.absoluteString) answered \(status): \(String(decoding: data.prefix(300), as: UTF8.self))"
            return [401, 407, 409, 429].contains(status) || status >= 500 ? .retry(answer) : .deadLetter(answer)
        } catch {
            return .retry("\(method) \(url.absoluteString) could not be reached: \(error.localizedDescription)")
        }
    }
}

extension EventsService {
    /// The call an API destination target makes: the destination's endpoint and method, the
    /// connection's authorization (Basic, an API key header, or an OAuth client-credentials
    /// token fetched from its endpoint), and the parameters of the connection and the target.
    func apiDestinationCall(_ arn: String, target: JSONObject) async -> Result<ApiDestinationCall, ServiceError> {
        guard let destination = await apiDestinations.all.first(where: { $0.value["ApiDestinationArn"]?.stringValue == arn })?.value else {
            return .failure(ServiceError("ResourceNotFoundException", "API destination \(arn) does not exist.", kind: .notFound))
        }
        guard let connectionArn = destination["ConnectionArn"]?.stringValue,
              let connection = await connections.all.first(where: { $0.value["ConnectionArn"]?.stringValue == connectionArn })?.value else {
            return .failure(ServiceError("ResourceNotFoundException", "The connection of \(arn) does not exist.", kind: .notFound))
        }
        let secret: JSONObject
        do {
            let answer = try await secrets("GetSecretValue", ["SecretId": connection["SecretArn"] ?? .null])
            secret = (try? JSONParser.parse(answer["SecretString"]?.stringValue ?? ""))?.objectValue ?? [:]
        } catch {
            return .failure(error)
        }
        var endpoint = destination["InvocationEndpoint"]?.stringValue ?? ""
        // `*` in the endpoint takes the target's path parameters, in order.
        for value in target["HttpParameters"]?["PathParameterValues"]?.arrayValue ?? [] {
            guard let star = endpoint.firstIndex(of: "*") else { break }
            endpoint.replaceSubrange(star...star, with: value.stringValue ?? "")
        }
        var headers: [(String, String)] = []
        var query: [(String, String)] = []
        for source in [secret["invocation_http_parameters"], target["HttpParameters"]] {
            let parameters = source?.objectValue ?? [:]
            for (k, v) in parameters["HeaderParameters"]?.objectValue ?? [:] { headers.append((k, v.stringValue ?? "")) }
            for (k, v) in parameters["QueryStringParameters"]?.objectValue ?? [:] { query.append((k, v.stringValue ?? "")) }
            // A connection's parameters are lists of {Key, Value} (AWS's shape for them).
            for p in parameters["HeaderParameters"]?.arrayValue ?? [] { headers.append((p["Key"]?.stringValue ?? "", p["Value"]?.stringValue ?? "")) }
            for p in parameters["QueryStringParameters"]?.arrayValue ?? [] { query.append((p["Key"]?.stringValue ?? "", p["Value"]?.stringValue ?? "")) }
        }
        switch connection["AuthorizationType"]?.stringValue {
        case "BASIC":
            let pair = "\(secret["username"]?.stringValue ?? ""):\(secret["password"]?.stringValue ?? "")"
            headers.append(("Authorization", "Basic " + Data(pair.utf8).base64EncodedString()))
        case "API_KEY":
            headers.append((secret["api_key_name"]?.stringValue ?? "", secret["api_key_value"]?.stringValue ?? ""))
        case "OAUTH_CLIENT_CREDENTIALS":
            switch await Self.oauthToken(secret) {
            case .success(let token): headers.append(("Authorization", "Bearer " + token))
            case .failure(let e): return .failure(e)
            }
        default: break
        }
        guard var components = URLComponents(string: endpoint), components.scheme == "https" || components.scheme == "http" else {
            return .failure(ServiceError.validation("The endpoint of \(arn) is not an HTTP URL: \(endpoint)"))
        }
        if !query.isEmpty { components.queryItems = (components.queryItems ?? []) + query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components.url else { return .failure(ServiceError.validation("The endpoint of \(arn) is not a URL: \(endpoint)")) }
        return .success(ApiDestinationCall(url: url, method: destination["HttpMethod"]?.stringValue ?? "POST", headers: headers))
    }

    /// OAuth 2.0 client credentials (RFC 6749, 4.4): the token the authorization endpoint grants.
    static func oauthToken(_ secret: JSONObject) async -> Result<String, ServiceError> {
        guard let url = URL(string: secret["authorization_endpoint"]?.stringValue ?? "") else {
            return .failure(ServiceError.validation("The connection's authorization endpoint is not a URL."))
        }
        var request = URLRequest(url: url, timeoutInterval: 5)
        request.httpMethod = secret["http_method"]?.stringValue ?? "POST"
        let pair = "\(secret["client_id"]?.stringValue ?? ""):\(secret["client_secret"]?.stringValue ?? "")"
        request.setValue("Basic " + Data(pair.utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data("grant_type=client_credentials".utf8)
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            guard (response as? HTTPURLResponse).map({ (200..<300).contains($0.statusCode) }) ?? false,
                  let token = (try? JSONParser.parse([UInt8](data)))?["access_token"]?.stringValue else {
                return .failure(ServiceError("AccessDeniedException", "The authorization endpoint granted no token.", kind: .client))
            }
            return .success(token)
        } catch {
            return .failure(ServiceError("AccessDeniedException", "The authorization endpoint could not be reached: \(error.localizedDescription)",
                                         kind: .client))
        }
    }
}
