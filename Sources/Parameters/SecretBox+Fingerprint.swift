import Crypto
import Journal
import ServiceKit

extension SecretBox {
    static let keyOwner = "baton.keys"

    /// Names the key without giving it away: HMAC-SHA256 of a constant, under the key.
    package var fingerprint: String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("baton secrets key".utf8), using: key)
        return mac.prefix(16).map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()
    }

    /// The store keeps the fingerprint of the key its secrets are sealed with (the first node
    /// to start writes it). A node with another key (each node's data directory made its own,
    /// or a database restored beside the wrong key file) would seal what the others cannot
    /// open and open nothing of theirs: the box it returns refuses every seal and open, saying
    /// which key to give the node (the node serves everything else). Throws only when the
    /// store cannot be read or written.
    package func checked(against store: any DocumentStore, keyFile: String) async throws(ServiceError) -> SecretBox {
        let stored: [UInt8]?
        do { stored = try await store.document(owner: Self.keyOwner, key: "secrets") } catch {
            throw ServiceError("InternalFailure", "cannot read the secrets key's fingerprint: \(error)", kind: .server)
        }
        if let stored {
            guard String(decoding: stored, as: UTF8.self) == fingerprint else {
                var refusing = self
                refusing.refusal = """
                    the secrets key at \(keyFile) is not the key this database's secrets are sealed with: give every \
                    node the same key file (--secrets-key-file or BATON_SECRETS_KEY_FILE), copied from the first node
                    """
                return refusing
            }
            return self
        }
        do { try await store.write([DocumentWrite(owner: Self.keyOwner, key: "secrets", body: Array(fingerprint.utf8))]) } catch {
            throw ServiceError("InternalFailure", "cannot store the secrets key's fingerprint: \(error)", kind: .server)
        }
        return self
    }
}
