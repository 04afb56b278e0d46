import ArgumentParser
import Foundation
import HTTPAPI
import StatesLanguage
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where a client command sends its requests, and the key it signs them with (flags, else
/// BATON_ACCESS_KEY_ID/BATON_SECRET_ACCESS_KEY, else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY):
/// a server started with `--require-signature` refuses unsigned requests.
struct ClientEndpoint: ParsableArguments {
    @Option(help: "The server's endpoint.") var endpoint = "http://127.0.0.1:8083"
    @Option(help: "Access key id to sign with (or BATON_ACCESS_KEY_ID, AWS_ACCESS_KEY_ID).") var accessKeyId: String?
    @Option(help: "Its secret (or BATON_SECRET_ACCESS_KEY, AWS_SECRET_ACCESS_KEY).") var secretAccessKey: String?
    @Option(help: "The region in the signature's scope.") var region = "us-east-1"

    var signer: SigV4Signer? {
        let env = ProcessInfo.processInfo.environment
        guard let key = accessKeyId ?? env["BATON_ACCESS_KEY_ID"] ?? env["AWS_ACCESS_KEY_ID"],
              let secret = secretAccessKey ?? env["BATON_SECRET_ACCESS_KEY"] ?? env["AWS_SECRET_ACCESS_KEY"] else { return nil }
        return SigV4Signer(accessKeyId: key, secretAccessKey: secret, region: region, service: "states")
    }

    /// Sends one request (signed when a key is configured) and returns the status and body.
    func send(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> (Int, Data) {
        let request = try self.request(method, path, body: body, headers: headers)
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// One request, signed when a key is configured.
    func request(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) throws -> URLRequest {
        guard let url = URL(string: endpoint + path), let components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            throw ValidationError("bad endpoint \(endpoint)")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        if let signer {
            var host = components.host ?? "localhost"
            if let port = components.port { host += ":\(port)" }
            var signedHeaders: [(String, String)] = [("host", host)]
            for (k, v) in headers { signedHeaders.append((k.lowercased(), v)) }
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            let added = signer.sign(method: method, path: components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath,
                                    query: components.percentEncodedQuery ?? "", headers: signedHeaders, body: [UInt8](body ?? Data()),
                                    at: Timestamp(seconds: Int64(ts.tv_sec)))
            for (k, v) in added { request.setValue(v, forHTTPHeaderField: k) }
        }
        return request
    }
}

extension ClientEndpoint {
    /// Calls a Step Functions action; an AWS error is printed as the server sent it and exits 1.
    func stepFunctions(_ action: String, _ body: [String: Any]) async throws -> [String: Any] {
        let (status, data) = try await send("POST", "/", body: try JSONSerialization.data(withJSONObject: body), headers: [
            "X-Amz-Target": "AWSStepFunctions.\(action)", "Content-Type": "application/x-amz-json-1.0",
        ])
        guard status == 200, let answer = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            FileHandle.standardError.write(Data("\(action) failed (HTTP \(status)): \(String(decoding: data, as: UTF8.self))\n".utf8))
            throw ExitCode(1)
        }
        return answer
    }

    /// A state machine's ARN from its name (looked up on the server) or its ARN.
    func stateMachineArn(_ nameOrArn: String) async throws -> String {
        if nameOrArn.hasPrefix("arn:") { return nameOrArn }
        var token: String?
        repeat {
            var body: [String: Any] = ["maxResults": 1000]
            if let token { body["nextToken"] = token }
            let page = try await stepFunctions("ListStateMachines", body)
            for sm in page["stateMachines"] as? [[String: Any]] ?? [] where sm["name"] as? String == nameOrArn {
                if let arn = sm["stateMachineArn"] as? String { return arn }
            }
            token = page["nextToken"] as? String
        } while token != nil
        throw ValidationError("no state machine named \(nameOrArn) on \(endpoint)")
    }
}
