import ServiceKit
import StatesLanguage

/// Parameters and secrets: SSM Parameter Store and Secrets Manager, two services on the seam
/// sharing one key file and the shared database's document store.
package enum ParametersServices {
    package static func make(_ context: ServiceContext) async throws(ServiceError) -> [any BatonService] {
        let box = try SecretBox(directory: context.dataDirectory)
        let clock = context.engine.clock
        let now: @Sendable () -> Timestamp = { clock.now() }
        let secrets = try await SecretsManagerService(store: context.database, box: box, region: context.region, account: context.account, clock: now)
        let ssm = try await SSMService(store: context.database, secrets: secrets, box: box, region: context.region, account: context.account, clock: now)
        return [ssm, secrets]
    }
}
