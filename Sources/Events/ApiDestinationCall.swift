import Foundation
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
        var all: [(String, String)] = [("Content-Type", "application/json; charset=utf-8"), ("User-Agent", "Amazon/EventBridge/ApiDestinations")]
        all += headers
        do {
            let r = try await OutboundHTTP.send(method, to: url.absoluteString, headers: all,
                                                body: method != "GET" && method != "HEAD" ? Array(body.utf8) : nil, timeoutSeconds: 5)
            if r.succeeded { return .done }
            let answer = "\(method) \(url.absoluteString) answered \(r.status): \(String(decoding: r.body.prefix(300), as: UTF8.self))"
            return [401, 407, 409, 429].contains(r.status) || r.status >= 500 ? .retry(answer) : .deadLetter(answer)
        } catch {
            return .retry("\(method) \(url.absoluteString) could not be reached: \(error)")
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
        let pair = "\(secret["client_id"]?.stringValue ?? ""):\(secret["client_secret"]?.stringValue ?? "")"
        do {
            let r = try await OutboundHTTP.send(secret["http_method"]?.stringValue ?? "POST", to: url.absoluteString,
                                                headers: [("Authorization", "Basic " + Data(pair.utf8).base64EncodedString()),
                                                          ("Content-Type", "application/x-www-form-urlencoded")],
                                                body: Array("grant_type=client_credentials".utf8), timeoutSeconds: 5)
            guard r.succeeded, let token = (try? JSONParser.parse(r.body))?["access_token"]?.stringValue else {
                return .failure(ServiceError("AccessDeniedException", "The authorization endpoint granted no token.", kind: .client))
            }
            return .success(token)
        } catch {
            return .failure(ServiceError("AccessDeniedException", "The authorization endpoint could not be reached: \(error)",
                                         kind: .client))
        }
    }
}
