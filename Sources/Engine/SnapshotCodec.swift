import Foundation
import Journal
import StatesInterpreter

/// Encodes the interpreter's state for the journal's execution row: Baton's binary Codable
/// form, behind a one-byte format tag. Snapshots written before it (JSON, starting with `{`)
/// still decode, so an upgraded server resumes the runs an older one parked.
package enum SnapshotCodec {
    static let binaryFormat: UInt8 = 0x01

    package static func encode(_ state: ExecutionState) throws(EngineError) -> [UInt8] {
        do {
            var bytes = [binaryFormat]
            bytes += try BinaryEncoder().encode(state)
            return bytes
        } catch {
            throw .internalFailure("cannot encode the execution state: \(error)")
        }
    }

    package static func decode(_ bytes: [UInt8]) throws(EngineError) -> ExecutionState {
        do {
            if bytes.first == UInt8(ascii: "{") {
                return try JSONDecoder().decode(ExecutionState.self, from: Data(bytes))
            }
            guard bytes.first == binaryFormat else { throw EngineError.internalFailure("unknown snapshot format \(bytes.first ?? 0)") }
            return try BinaryDecoder().decode(ExecutionState.self, from: Array(bytes.dropFirst()))
        } catch {
            throw .internalFailure("cannot decode the execution state: \(error)")
        }
    }
}
