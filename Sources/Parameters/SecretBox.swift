import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ServiceKit

/// Encrypts secret values at rest (AES-256-GCM) with a key kept in the data directory: created
/// on first start with mode 0600, never logged, never in a history. A value is sealed before
/// it reaches the database and opened only to answer the caller who asked for it.
package struct SecretBox: Sendable {
    let key: SymmetricKey
    /// Set when the store's secrets are sealed with another key: every seal and open fails with it.
    var refusal: String?

    package init(key: [UInt8]) { self.key = SymmetricKey(data: key) }

    /// Reads `<directory>/secrets.key`, creating it (32 random bytes, mode 0600) if it is missing.
    package init(directory: String) throws(ServiceError) {
        try self.init(file: directory + "/secrets.key")
    }

    /// Reads the key at `path`, creating it (32 random bytes, mode 0600) if it is missing.
    package init(file path: String) throws(ServiceError) {
        if let existing = FileManager.default.contents(atPath: path) {
            guard existing.count == 32 else {
                throw ServiceError("InternalFailure", "\(path) is not a 32-byte key: restore it from a backup", kind: .server)
            }
            self.init(key: [UInt8](existing))
            return
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        var g = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &g) }
        // O_EXCL: two processes starting at once cannot both write a key.
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            if let raced = FileManager.default.contents(atPath: path), raced.count == 32 {
                self.init(key: [UInt8](raced))
                return
            }
            throw ServiceError("InternalFailure", "cannot create \(path): errno \(errno)", kind: .server)
        }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, 32) }
        fsync(fd)
        close(fd)
        guard written == 32 else { throw ServiceError("InternalFailure", "cannot write \(path)", kind: .server) }
        self.init(key: bytes)
    }

    /// nonce ‖ ciphertext ‖ tag.
    package func seal(_ plaintext: [UInt8]) throws(ServiceError) -> [UInt8] {
        if let refusal { throw ServiceError("InternalFailure", refusal, kind: .server) }
        do {
            guard let combined = try AES.GCM.seal(plaintext, using: key).combined else {
                throw ServiceError("InternalFailure", "cannot seal a value", kind: .server)
            }
            return [UInt8](combined)
        } catch let e as ServiceError { throw e } catch {
            throw ServiceError("InternalFailure", "cannot seal a value: \(error)", kind: .server)
        }
    }

    package func open(_ sealed: [UInt8]) throws(ServiceError) -> [UInt8] {
        if let refusal { throw ServiceError("InternalFailure", refusal, kind: .server) }
        do {
            return [UInt8](try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key))
        } catch {
            throw ServiceError("InternalFailure", "A stored secret cannot be decrypted with secrets.key (was the key replaced?)", kind: .server)
        }
    }
}
