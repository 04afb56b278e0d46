import ServiceKit
import StatesLanguage

/// A receipt handle: the message's sequence, the receive's nonce and the queue
/// (`SEQ:NONCE:QUEUE`). Opaque to clients, parsed once here; plain text because a batch of
/// deletes parses ten of them.
struct ReceiptHandle: Sendable, Equatable {
    var queue: String
    var seq: Int64
    var nonce: String

    var text: String { "\(seq):\(nonce):\(queue)" }

    init(queue: String, seq: Int64, nonce: String) {
        self.queue = queue
        self.seq = seq
        self.nonce = nonce
    }

    init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let seq = Int64(parts[0]), seq > 0, !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        self.seq = seq
        nonce = String(parts[1])
        queue = String(parts[2])
    }

    static func invalid(_ text: String) -> ServiceError {
        ServiceError("ReceiptHandleIsInvalid", "The input receipt handle \"\(text)\" is not a valid receipt handle.")
    }
}
