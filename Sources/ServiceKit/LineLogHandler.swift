import Foundation
import Logging
import StatesLanguage

/// One line per log event on standard error, as `key=value` text or as a JSON object
/// (`baton serve --log-format json`), with a UTC timestamp in milliseconds.
///
///     2026-12-01T03:09:43.123Z info baton: serving endpoint=http://127.0.0.1:8083 signatures=optional
///     {"time":"2026-12-01T03:09:43.123Z","level":"info","logger":"baton","message":"serving","endpoint":"http://127.0.0.1:8083"}
package struct LineLogHandler: LogHandler {
    package enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    package let label: String
    package let format: Format
    let sink: @Sendable (String) -> Void
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info

    package init(label: String, format: Format, sink: @escaping @Sendable (String) -> Void = LineLogHandler.standardError) {
        self.label = label
        self.format = format
        self.sink = sink
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var all = metadata
        if let explicit = event.metadata { all.merge(explicit) { $1 } }
        if let error = event.error, all["error"] == nil { all["error"] = "\(error)" }
        sink(Self.render(format, time: Date(), level: event.level, label: label, message: event.message.description, metadata: all))
    }

    /// The line for one event (without its newline).
    package static func render(_ format: Format, time: Date, level: Logger.Level, label: String, message: String,
                               metadata: Logger.Metadata) -> String {
        let stamp = Timestamp(milliseconds: Int64((time.timeIntervalSince1970 * 1000).rounded(.down))).iso8601
        let keys = metadata.keys.sorted()
        switch format {
        case .text:
            var line = "\(stamp) \(level.rawValue) \(label): \(message)"
            for k in keys {
                guard let v = metadata[k] else { continue }
                line += " \(k)=\(quoted(text(v)))"
            }
            return line
        case .json:
            var o = JSONObject()
            o["time"] = .string(stamp)
            o["level"] = .string(level.rawValue)
            o["logger"] = .string(label)
            o["message"] = .string(message)
            for k in keys where o[k] == nil { if let v = metadata[k] { o[k] = .string(text(v)) } }
            return JSON.object(o).serialized
        }
    }

    static func text(_ v: Logger.Metadata.Value) -> String {
        switch v {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let a): return a.map(text).joined(separator: ",")
        case .dictionary(let d): return d.keys.sorted().map { "\($0):\(d[$0].map(text) ?? "")" }.joined(separator: ",")
        }
    }

    /// A value with spaces, quotes or nothing in it is written as a JSON string, so a line
    /// always splits back into its keys.
    static func quoted(_ s: String) -> String {
        if !s.isEmpty, !s.utf8.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") || $0 >= 0x7F }) { return s }
        return JSON.string(s).serialized
    }

    package static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
