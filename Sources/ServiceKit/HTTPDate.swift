import Foundation

/// The HTTP `Date` header's form (RFC 7231's IMF-fixdate), as integrations' SDK metadata shows it.
package enum HTTPDate {
    package static func now() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f.string(from: Date())
    }
}
