import StatesLanguage

/// The console's sessions: a person logs in once with the endpoint's access key and secret,
/// and gets a cookie that proves it until it expires. Stateless: the cookie is its expiry and
/// an HMAC of it under a key derived from the secret, so a restart keeps sessions and a new
/// secret ends them all.
package struct ConsoleSessions: Sendable {
    package static let cookieName = "baton_console"
    /// Twelve hours, as a working day.
    package static let lifetimeSeconds: Int64 = 12 * 3600

    let accessKeyId: String
    let key: [UInt8]
    let secret: [UInt8]
    /// The front door's clock, which also judges the cookies it issues.
    package let now: @Sendable () -> Timestamp

    package init(accessKeyId: String, secretAccessKey: String, now: @escaping @Sendable () -> Timestamp) {
        self.now = now
        self.accessKeyId = accessKeyId
        secret = Array(secretAccessKey.utf8)
        // A key of its own, so a cookie's MAC is never a value a SigV4 signature could be.
        key = HMAC.sha256(key: Array("baton-console".utf8), message: Array(secretAccessKey.utf8))
    }

    /// The cookie's value for a login with these credentials, or nil when they are wrong.
    package func issue(accessKeyId id: String, secretAccessKey: String, now: Timestamp) -> String? {
        let idMatches = HMAC.constantTimeEqual(Array(id.utf8), Array(accessKeyId.utf8))
        let secretMatches = HMAC.constantTimeEqual(Array(secretAccessKey.utf8), secret)
        guard idMatches && secretMatches else { return nil }
        let expiry = now.seconds + Self.lifetimeSeconds
        return "\(expiry).\(mac(expiry))"
    }

    /// Whether a cookie value is one this key issued and has not expired.
    package func isValid(_ value: String, now: Timestamp) -> Bool {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let expiry = Int64(parts[0]), expiry > now.seconds else { return false }
        return HMAC.constantTimeEqual(Array(parts[1].utf8), Array(mac(expiry).utf8))
    }

    /// The session cookie in a `Cookie` header, if any.
    package static func cookie(in header: String?) -> String? {
        guard let header else { return nil }
        for pair in header.split(separator: ";") {
            let trimmed = pair.drop { $0 == " " }
            if trimmed.hasPrefix(cookieName + "=") { return String(trimmed.dropFirst(cookieName.count + 1)) }
        }
        return nil
    }

    /// `Set-Cookie` for a new session: HttpOnly (no script reads it) and SameSite=Strict (no
    /// other site's page sends it), scoped to the endpoint.
    package static func setCookie(_ value: String) -> String {
        "\(cookieName)=\(value); Path=/; Max-Age=\(lifetimeSeconds); HttpOnly; SameSite=Strict"
    }

    package static var clearCookie: String { "\(cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" }

    func mac(_ expiry: Int64) -> String { HMAC.hex(HMAC.sha256(key: key, message: Array("session:\(expiry)".utf8))) }
}
