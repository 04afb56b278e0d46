import Foundation
import Journal
import StatesInterpreter

/// Encodes the interpreter's state for the journal's execution row: the state's own
/// field-by-field form (`ExecutionState+Snapshot`), behind a one-byte format tag. Snapshots
/// written before it (Baton's binary Codable form, tag 0x01; JSON, starting with `{`) still
/// decode, so an upgraded server resumes the runs an older one parked.
package enum SnapshotCodec {
    static let binaryFormat: UInt8 = 0x01
    /// 0x02: the field-by-field form before executions kept a mock test case; 0x03 before
    /// they kept Distributed Map runs in progress; 0x04 since.
    static let fieldFormatWithoutMocks: UInt8 = 0x02
    static let fieldFormatWithoutMapRuns: UInt8 = 0x03
    static let fieldFormat: UInt8 = 0x04

    package static func encode(_ state: ExecutionState) throws(EngineError) -> [UInt8] {
        var w = SnapshotWriter(prefix: [fieldFormat])
        state.write(to: &w)
        return w.bytes
    }

    /// The previous form, for tests that prove old snapshots still decode.
    package static func encodeCodable(_ state: ExecutionState) throws(EngineError) -> [UInt8] {
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
            if let tag = bytes.first, [fieldFormat, fieldFormatWithoutMapRuns, fieldFormatWithoutMocks].contains(tag) {
                var r = SnapshotReader(bytes, from: 1)
                return try ExecutionState.read(from: &r, mockFields: tag != fieldFormatWithoutMocks, mapRunFields: tag == fieldFormat)
            }
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
