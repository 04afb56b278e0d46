import Events
import Identity
import Integrations
import Messaging
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
        [
            StepFunctionsService(context),
            try await LambdaService(context),
            try await WebhooksService(context),
            try await IAMService(context),
        ] + (try await Self.messaging(context)) + (try await Self.bus(context)) + (try await ParametersServices.make(context))
            + (try await Self.tables(context))
    }

    /// Queues, and the topics that deliver to them.
    static func messaging(_ context: ServiceContext) async throws -> [any BatonService] {
        let sqs = try await SQSService(context)
        let mappings = try await EventSourceMappings(context, sqs: sqs)
        return [sqs, try await SNSService(context, sqs: sqs), mappings, try await PipesService(context, sqs: sqs, mappings: mappings)]
    }

    /// Tables and their change streams.
    static func tables(_ context: ServiceContext) async throws -> [any BatonService] {
        let tables = try await DynamoDBService(context)
        return [tables, DynamoDBStreamsService(tables: tables)]
    }

    /// The event bus and the Scheduler, which delivers through it.
    static func bus(_ context: ServiceContext) async throws -> [any BatonService] {
        let events = try await EventsService(context)
        return [events, try await SchedulerService(context, events: events)]
    }
}
