import ServiceKit
import StatesLanguage

/// A receipt handle: the queue, the message's sequence and the receive's nonce, base64
/// encoded. Opaque to clients, parsed once here.
struct ReceiptHandle: Sendable, Equatable {
    var queue: String
    var seq: Int64
    var nonce: String

    var text: String { Base64.encode(Array("\(queue) \(seq) \(nonce)".utf8)) }

    init(queue: String, seq: Int64, nonce: String) {
        self.queue = queue
        self.seq = seq
        self.nonce = nonce
    }

    init?(_ text: String) {
        guard let bytes = Base64.decode(text), let s = String(validating: bytes, as: UTF8.self) else { return nil }
        let parts = s.split(separator: " ")
        guard parts.count == 3, let seq = Int64(parts[1]) else { return nil }
        queue = String(parts[0])
        self.seq = seq
        nonce = String(parts[2])
    }

    static func invalid(_ text: String) -> ServiceError {
        ServiceError("ReceiptHandleIsInvalid", "The input receipt handle \"\(text)\" is not a valid receipt handle.")
    }
}
