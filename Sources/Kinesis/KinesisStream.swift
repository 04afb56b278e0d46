import Crypto
import StatesLanguage

/// One Kinesis data stream: its name and ARN, its shards (the 128-bit hash key space split
/// evenly, as CreateStream splits it), retention, mode, encryption and tags. `id` is unique per
/// creation, so a stream deleted and created again under its name never sees the old records.
package struct KinesisStream: Sendable, Equatable {
    package var id: Int64
    package var name: String
    package var arn: String
    package var mode: String
    package var shardCount: Int
    package var createdMillis: Int64
    package var retentionHours: Int
    package var encryption: (type: String, keyId: String?)
    package var tags: [(key: String, value: String)]

    package static func == (a: KinesisStream, b: KinesisStream) -> Bool {
        a.id == b.id && a.name == b.name && a.retentionHours == b.retentionHours && a.mode == b.mode && a.encryption == b.encryption
            && a.tags.map(\.key) == b.tags.map(\.key) && a.tags.map(\.value) == b.tags.map(\.value)
    }

    /// AWS's shard ids: `shardId-` and twelve digits.
    package static func shardId(_ index: Int) -> String {
        let digits = String(index)
        return "shardId-" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }

    static func shardIndex(_ id: String) -> Int? {
        guard id.hasPrefix("shardId-") else { return Int(id) }
        return Int(id.dropFirst("shardId-".count))
    }

    /// Shard `i`'s hash keys: from ⌊i·2¹²⁸/n⌋ up to the next shard's start, less one.
    package func hashRange(_ i: Int) -> (start: UInt128, end: UInt128) {
        (Self.boundary(i, of: shardCount), i == shardCount - 1 ? UInt128.max : Self.boundary(i + 1, of: shardCount) - 1)
    }

    static func boundary(_ i: Int, of n: Int) -> UInt128 {
        // 2¹²⁸ = n·q + r + 1 where UInt128.max = n·q + r; so i·2¹²⁸/n = i·q + i·(r+1)/n.
        let n128 = UInt128(n), i128 = UInt128(i)
        let (q, r) = UInt128.max.quotientAndRemainder(dividingBy: n128)
        return q * i128 + (i128 * (r + 1)) / n128
    }

    /// The shard whose hash range holds `hash`.
    package func shard(for hash: UInt128) -> Int {
        var i = 0
        while i < shardCount - 1 && hash > hashRange(i).end { i += 1 }
        return i
    }

    /// AWS: "Kinesis Data Streams uses MD5 to map partition keys to 128-bit integer values".
    package static func hash(partitionKey: String) -> UInt128 {
        Insecure.MD5.hash(data: Array(partitionKey.utf8)).reduce(UInt128(0)) { ($0 << 8) | UInt128($1) }
    }

    /// The MD5 of some bytes in upper-case hex (the 32-character partition keys AWS's
    /// services give the records they write).
    package static func hexDigest(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        return String(Insecure.MD5.hash(data: bytes).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    // MARK: stored form

    var json: JSON {
        var o = JSONObject()
        o.appendUnchecked("id", .int(id))
        o.appendUnchecked("name", .string(name))
        o.appendUnchecked("arn", .string(arn))
        o.appendUnchecked("mode", .string(mode))
        o.appendUnchecked("shards", .int(Int64(shardCount)))
        o.appendUnchecked("created", .int(createdMillis))
        o.appendUnchecked("retention", .int(Int64(retentionHours)))
        o.appendUnchecked("encryption", .string(encryption.type))
        if let key = encryption.keyId { o.appendUnchecked("keyId", .string(key)) }
        o.appendUnchecked("tags", .array(tags.map { [.string($0.key), .string($0.value)] }))
        return .object(o)
    }

    init?(json: JSON) {
        guard let id = json["id"]?.integerValue, let name = json["name"]?.stringValue, let arn = json["arn"]?.stringValue else { return nil }
        self.id = id
        self.name = name
        self.arn = arn
        mode = json["mode"]?.stringValue ?? "PROVISIONED"
        shardCount = Int(json["shards"]?.integerValue ?? 1)
        createdMillis = json["created"]?.integerValue ?? 0
        retentionHours = Int(json["retention"]?.integerValue ?? 24)
        encryption = (json["encryption"]?.stringValue ?? "NONE", json["keyId"]?.stringValue)
        tags = (json["tags"]?.arrayValue ?? []).compactMap { pair in
            guard let a = pair.arrayValue, a.count == 2, let k = a[0].stringValue, let v = a[1].stringValue else { return nil }
            return (k, v)
        }
    }

    init(id: Int64, name: String, arn: String, mode: String, shardCount: Int, createdMillis: Int64, tags: [(key: String, value: String)]) {
        self.id = id
        self.name = name
        self.arn = arn
        self.mode = mode
        self.shardCount = shardCount
        self.createdMillis = createdMillis
        retentionHours = 24
        encryption = ("NONE", nil)
        self.tags = tags
    }
}
