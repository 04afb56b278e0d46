import Foundation
import StatesInterpreter

/// Step Functions Local's mock configuration file (`--mock-config`, `SFN_MOCK_CONFIG`), read
/// at start (a malformed file stops the server with the path of the mistake) and read again
/// whenever it changes on disk, so a test suite can edit its mocks without a restart. A change
/// that does not parse leaves the last good configuration in force and is reported by
/// `current()` until it is fixed.
package final class MockConfigFile: Sendable {
    package let path: String
    private struct Loaded: Sendable {
        var stamp: [Int64]
        var config: MockConfig
        var problem: MockConfigError?
    }
    private let loaded: LockedValue<Loaded>

    package init(path: String) throws(MockConfigError) {
        self.path = path
        let stamp = Self.stamp(path)
        guard let data = FileManager.default.contents(atPath: path) else { throw MockConfigError("", "cannot read \(path)") }
        loaded = LockedValue(Loaded(stamp: stamp, config: try MockConfig(text: String(decoding: data, as: UTF8.self)), problem: nil))
    }

    /// The file's modification time and size: a change to either means read it again.
    static func stamp(_ path: String) -> [Int64] {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path) else { return [] }
        let modified = (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return [Int64(modified * 1_000_000), (a[.size] as? NSNumber)?.int64Value ?? -1]
    }

    /// The configuration in force, and what is wrong with the file on disk if it does not parse.
    package func current() -> (config: MockConfig, problem: MockConfigError?) {
        let stamp = Self.stamp(path)
        let now = loaded.value
        guard stamp != now.stamp else { return (now.config, now.problem) }
        let next: Loaded
        if let data = FileManager.default.contents(atPath: path) {
            do {
                next = Loaded(stamp: stamp, config: try MockConfig(text: String(decoding: data, as: UTF8.self)), problem: nil)
            } catch {
                next = Loaded(stamp: stamp, config: now.config, problem: error)
            }
        } else {
            next = Loaded(stamp: stamp, config: now.config, problem: MockConfigError("", "cannot read \(path)"))
        }
        loaded.value = next
        return (next.config, next.problem)
    }

    /// The mocked outcome of an invocation in a test case; nil when the case does not list
    /// its state (the state calls its real integration, as in Step Functions Local).
    package static func outcome(_ inv: TaskInvocation, _ file: MockConfigFile?) -> TaskOutcome? {
        guard let call = inv.mock else { return nil }
        guard let file else {
            return .failed(StatesError.runtime("The execution runs the test case '\(call.testCase)', and the server has no mock configuration (--mock-config or SFN_MOCK_CONFIG)."))
        }
        guard let states = file.current().config.testCase(stateMachine: call.stateMachine, call.testCase) else {
            return .failed(StatesError.runtime("The mock configuration \(file.path) has no test case '\(call.testCase)' for the state machine '\(call.stateMachine)'."))
        }
        guard let responses = states[inv.stateName] else { return nil }
        return MockSession.outcome(responses, invocation: call.invocation, state: inv.stateName, caseName: call.testCase)
    }
}
