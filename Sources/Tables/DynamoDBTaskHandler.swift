import CZlib
import Foundation
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// `arn:aws:states:::dynamodb:putItem|getItem|updateItem|deleteItem`: the Task's parameters are
/// the request, the answer the result with the SDK's metadata, as AWS's optimised integration
/// returns them. Errors as the Java SDK names them: a modelled exception by its name
/// (`DynamoDB.ConditionalCheckFailedException`), any other as `DynamoDB.AmazonDynamoDBException`.
struct DynamoDBTaskHandler: TaskHandler {
    let actions: [String: Action]

    static let modelled: Set<String> = [
        "ConditionalCheckFailedException", "ResourceNotFoundException", "ProvisionedThroughputExceededException",
        "ItemCollectionSizeLimitExceededException", "TransactionConflictException", "RequestLimitExceeded", "InternalServerError",
    ]

    func invoke(_ inv: TaskInvocation) async -> TaskOutcome {
        let name = inv.resource.split(separator: ":").last.map(String.init) ?? ""
        let action = (name.first.map { String($0).uppercased() } ?? "") + name.dropFirst()
        guard let perform = actions[action] else {
            return .failed(StatesError(StatesError.runtime, "\(inv.resource) is not a DynamoDB integration"))
        }
        let body = inv.parameters.isNull ? JSON.object(JSONObject()) : inv.parameters
        let requestId = UUIDText.random()
        do {
            let reply = try await perform(ServiceCall(action: action, body: body.serializedBytes))
            var result = (try? JSONParser.parse(reply.body))?.objectValue ?? JSONObject()
            let headers: JSONObject = [
                "Connection": "keep-alive", "Content-Length": .string(String(reply.body.count)), "Content-Type": "application/x-amz-json-1.0",
                "Date": .string(HTTPDate.now()), "Server": "Server", "x-amz-crc32": .string(String(crc32(reply.body))),
                "x-amzn-RequestId": .string(requestId),
            ]
            var all = JSONObject()
            for (k, v) in headers { all[k] = .array([v]) }
            result["SdkHttpMetadata"] = ["AllHttpHeaders": .object(all), "HttpHeaders": .object(headers), "HttpStatusCode": 200]
            result["SdkResponseMetadata"] = ["RequestId": .string(requestId)]
            return .succeeded(.object(result))
        } catch let e as ServiceError {
            let error = Self.modelled.contains(e.code) ? e.code : "AmazonDynamoDBException"
            let status = e.status(in: .json(targetPrefix: "", version: "1.0"))
            return .failed(StatesError("DynamoDB.\(error)",
                                       "\(e.message) (Service: AmazonDynamoDBv2; Status Code: \(status); Error Code: \(e.code); Request ID: \(requestId); Proxy: null)"))
        } catch {
            return .failed(StatesError(StatesError.runtime, "\(error)"))
        }
    }

    /// The `x-amz-crc32` DynamoDB sends with every answer: CRC-32 of the body, zlib's.
    func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(truncatingIfNeeded: CZlib.crc32(0, $0.baseAddress, uInt($0.count))) }
    }
}
