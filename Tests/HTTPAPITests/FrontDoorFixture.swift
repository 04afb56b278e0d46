import Engine
import Foundation
import HTTPAPI
import Journal
import ServiceKit
import ServiceList
import StatesLanguage

/// Every real service behind a front door that requires signatures, on a fresh data directory,
/// with a clock the test sets.
final class FrontDoorFixture: @unchecked Sendable {
    static let key = "AKIDTEST"
    static let secret = "s3cret/with+chars"
    static let now = Timestamp(seconds: 1_796_000_000)

    let directory: String
    let journal: SQLiteJournal
    let door: FrontDoor
    let clock: LockedValue<Timestamp>

    init() async throws {
        directory = NSTemporaryDirectory() + "frontdoor-" + UUID().uuidString
        journal = try SQLiteJournal(directory: directory, synchronous: .normal)
        let engine = Engine(journal: journal)
        let services = try await ServiceList.make(ServiceContext(engine: engine, database: journal, dataDirectory: directory))
        engine.install(TaskRegistry(services: services))
        let clock = LockedValue(Self.now)
        self.clock = clock
        door = FrontDoor(services: services, verifier: SigV4Verifier(accessKeyId: Self.key, secretAccessKey: Self.secret),
                         clock: { clock.value })
    }

    deinit {
        journal.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A request signed as an SDK signs it, for `service`'s credential scope.
    func signed(_ method: String, _ path: String, query: String = "", target: String? = nil, body: String = "",
                service: String = "states", secret: String = secret, at time: Timestamp = now) -> FrontDoor.Incoming {
        var headers: [(String, String)] = [("host", "127.0.0.1:8083")]
        if let target { headers.append(("x-amz-target", target)) }
        let signer = SigV4Signer(accessKeyId: Self.key, secretAccessKey: secret, service: service)
        headers += signer.sign(method: method, path: path, query: query, headers: headers, body: Array(body.utf8), at: time)
        return FrontDoor.Incoming(method: method, path: path, query: query, headers: headers, body: Array(body.utf8))
    }
}

extension FrontDoor.Outgoing {
    var json: JSON? { try? JSONParser.parse(body) }
    /// The error code: JSON's `__type`, or the query protocol's `<Code>`.
    var code: String? {
        if let c = json?["__type"]?.stringValue { return c }
        let text = String(decoding: body, as: UTF8.self)
        guard let start = text.range(of: "<Code>"), let end = text.range(of: "</Code>", range: start.upperBound..<text.endIndex) else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }
}
