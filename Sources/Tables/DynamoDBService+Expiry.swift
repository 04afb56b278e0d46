import Engine
import Journal
import ServiceKit
import StatesLanguage

/// Time to live: a sweep deletes items whose TTL attribute (epoch seconds) has passed, each
/// delete with the stream record AWS writes for it (a REMOVE by the service itself), and
/// trims stream records past their 24 hours.
extension DynamoDBService {
    static let streamRetentionMillis: Int64 = 24 * 3_600_000

    func sweep() async {
        let bell = Doorbell()
        while !Task.isCancelled {
            _ = try? await expireDue()
            await bell.wait(until: clock.now().adding(seconds: 10), on: clock)
        }
    }

    /// Deletes what has expired (in batches); returns how many items went.
    @discardableResult
    package func expireDue() async throws(ServiceError) -> Int {
        let now = self.now
        let tables = Dictionary(uniqueKeysWithValues: catalog.all.map { ($0.id, $0) })
        var total = 0
        while true {
            let deleted = try await store.write { (w) throws(ServiceError) -> Int in
                var n = 0
                for (table, pk, sk) in try w.expired(before: now.milliseconds / 1000, limit: 256) {
                    guard let schema = tables[table], schema.ttlAttribute != nil else { continue }
                    let old = try w.reader.item(table, pk, sk)
                    try commit(Change(schema: schema, pk: pk, sk: sk, old: old, new: nil), w, now: now, ttlDelete: true)
                    n += 1
                }
                try w.trimStreams(before: now.milliseconds - Self.streamRetentionMillis)
                return n
            }
            total += deleted
            if deleted > 0 { streamBell.ring() }
            if deleted < 256 { return total }
        }
    }
}

extension ItemWriter {
    /// Sets (or clears) every item's expiry from the table's TTL attribute.
    func stampExpiry(_ schema: TableSchema) throws(ServiceError) {
        let rows: [[SQLValue]]
        do { rows = try c.rows("SELECT pk, sk, item FROM ddb_items WHERE table_id = ?1", [.integer(schema.id)]) } catch { throw failure(error) }
        for r in rows {
            var expires: Int64?
            if let attr = schema.ttlAttribute, case .n(let n)? = try ItemReader.decode(r[2].bytes ?? [])[attr], !n.negative {
                expires = Int64(n.description.prefix { $0 != "." })
            }
            do {
                try c.run("UPDATE ddb_items SET expires = ?4 WHERE table_id = ?1 AND pk = ?2 AND sk = ?3",
                          [.integer(schema.id), .bytes(r[0].bytes ?? []), .bytes(r[1].bytes ?? []), .integer(expires)])
            } catch { throw failure(error) }
        }
    }
}
