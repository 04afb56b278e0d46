import Foundation
import Journal
import StatesInterpreter

/// Encodes the interpreter's state for the journal's execution row.
enum SnapshotCodec {
    static func encode(_ state: ExecutionState) throws(EngineError) -> [UInt8] {
        do {
            return [UInt8](try JSONEncoder().encode(state))
        } catch {
            throw .internalFailure("cannot encode the execution state: \(error)")
        }
    }

    static func decode(_ bytes: [UInt8]) throws(EngineError) -> ExecutionState {
        do {
            return try JSONDecoder().decode(ExecutionState.self, from: Data(bytes))
        } catch {
            throw .internalFailure("cannot decode the execution state: \(error)")
        }
    }
}
