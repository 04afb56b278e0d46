import Foundation
import NIOConcurrencyHelpers

/// The `Date` header every answer carries (RFC 9110's IMF-fixdate), formatted once a second.
enum HTTPDate {
    private static let cache = NIOLockedValueBox((second: time_t(0), text: ""))

    static func now() -> String {
        let second = time(nil)
        return cache.withLockedValue { cached in
            if cached.second != second { cached = (second, format(second)) }
            return cached.text
        }
    }

    static func format(_ second: time_t) -> String {
        var clock = second
        var parts = tm()
        gmtime_r(&clock, &parts)
        // strftime in the C locale (Swift processes do not call setlocale): English names.
        var bytes = [Int8](repeating: 0, count: 40)
        let n = strftime(&bytes, bytes.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: bytes[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
