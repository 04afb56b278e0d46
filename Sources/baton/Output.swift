import Foundation

/// How client commands print JSON: indented on a terminal, one compact object per line when
/// piped (so `| jq` and `| grep` see whole objects). `BATON_OUTPUT=pretty|lines` overrides.
enum Output {
    static var pretty: Bool {
        switch ProcessInfo.processInfo.environment["BATON_OUTPUT"] {
        case "pretty": return true
        case "lines": return false
        default: return isatty(STDOUT_FILENO) == 1
        }
    }

    /// Prints one JSON value.
    static func emit(_ object: Any) {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]
        if pretty { options.insert(.prettyPrinted) }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: options) else {
            print(object)
            return
        }
        print(String(decoding: data, as: UTF8.self))
    }

    /// Prints a server's JSON answer (as it came when it is not JSON).
    static func emit(answer data: Data) {
        guard !data.isEmpty else { return }
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        emit(object)
    }

    /// Prints each element of a list: on a terminal as one indented array, piped one per line.
    static func emit(list: [Any]) {
        if pretty { emit(list as Any) } else { for item in list { emit(item) } }
    }
}
