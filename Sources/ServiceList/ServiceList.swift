import Console
import Events
import Identity
import Integrations
import Kinesis
import Messaging
import Objects
import Parameters
import ServiceKit
import StepFunctions
import Tables
import Webhooks

/// The one list of the services on the endpoint. Adding a service is one line here; `baton
/// serve` and the test that walks every route both take the list from this place, so a new
/// service's routes are proven to refuse unsigned requests without anyone remembering to.
package enum ServiceList {
    package static func make(_ context: ServiceContext) async throws -> [any BatonService] {
        let kinesis = try await KinesisService(context)
        let streams = DynamoDBStreamsService(tables: try await DynamoDBService(context, kinesis: kinesis.streams))
        let services: [any BatonService] = [
            StepFunctionsService(context),
            try await LambdaService(context),
            try await WebhooksService(context),
            try await IAMService(context),
        ] + (try await Self.messaging(context, streams: streams)) + (try await Self.bus(context)) + (try await ParametersServices.make(context))
            + [streams.tables, streams, kinesis, try await S3Service(context)]
        return services + [ConsoleService(context, browsing: services)]
    }

    /// Queues, the topics that deliver to them, and what reads queues and table streams
    /// (event source mappings, pipes).
    static func messaging(_ context: ServiceContext, streams: DynamoDBStreamsService) async throws -> [any BatonService] {
        let sqs = try await SQSService(context)
        let mappings = try await EventSourceMappings(context, sqs: sqs, streams: streams)
        return [sqs, try await SNSService(context, sqs: sqs), mappings, try await PipesService(context, sqs: sqs, mappings: mappings)]
    }

    /// The event bus and the Scheduler, which delivers through it.
    static func bus(_ context: ServiceContext) async throws -> [any BatonService] {
        let events = try await EventsService(context)
        return [events, try await SchedulerService(context, events: events)]
    }
}
