import Engine
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// AWS Step Functions on the seam: JSON 1.0 under `AWSStepFunctions`, every action a call
/// into the engine.
package struct StepFunctionsService: BatonService {
    package let api: StepFunctionsAPI
    let mapRuns: MapRuns

    package init(_ context: ServiceContext) {
        mapRuns = MapRuns(engine: context.engine, documents: context.store)
        let logs = ExecutionLogs(directory: context.dataDirectory + "/logs", journal: context.engine.journal)
        context.engine.onCommittedEvents(wants: { await logs.logs($0) }) { record, events in await logs.record(record, events) }
        api = StepFunctionsAPI(engine: context.engine, region: context.region, account: context.account, mapRuns: mapRuns, logs: logs)
    }

    /// A Distributed Map's iterations, as child executions.
    package var taskResources: [TaskResourceBinding] { [TaskResourceBinding(.resource(Interpreter.mapRunResource), mapRuns)] }

    package var name: String { "states" }
    package var wireProtocol: WireProtocol { .json(targetPrefix: "AWSStepFunctions", version: "1.0") }

    package var actions: [String: Action] {
        var table = ActionTable(model: StepFunctionsModel.constraints,
                                exempt: ["StartExecution.input", "StartSyncExecution.input", "SendTaskSuccess.output"])
        let api = self.api
        for (name, perform) in StepFunctionsAPI.table {
            table.json(name) { (r: JSONRequest) async throws -> JSON in try await perform(api)(r) }
        }
        return table.actions
    }
}
