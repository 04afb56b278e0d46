import ServiceKit
import StatesLanguage

/// Parameters and secrets: SSM Parameter Store and Secrets Manager, two services on the seam
/// sharing one key file and the journal's document store (every node's, on PostgreSQL).
package enum ParametersServices {
    package static func make(_ context: ServiceContext) async throws(ServiceError) -> [any BatonService] {
        let keyFile = context.secretsKeyFile ?? context.dataDirectory + "/secrets.key"
        let box = try await SecretBox(file: keyFile).checked(against: context.store, keyFile: keyFile)
        if let refusal = box.refusal { context.engine.logger.error("secrets cannot be sealed or opened on this node", metadata: ["reason": "\(refusal)"]) }
        let clock = context.engine.clock
        let now: @Sendable () -> Timestamp = { clock.now() }
        let secrets = try await SecretsManagerService(store: context.store, box: box, region: context.region, account: context.account, clock: now)
        let ssm = try await SSMService(store: context.store, secrets: secrets, box: box, region: context.region, account: context.account, clock: now)
        return [ssm, secrets]
    }
}
