import CFileSync
import Foundation
import ServiceKit

/// Where objects' and parts' bytes live, each under a name their rows give (`file`): files in
/// the data directory with SQLite (`FileObjectBytes`), rows of the shared database with
/// PostgreSQL (`PostgresObjectBytes`), so that every node reads what any node wrote. Either
/// way the bytes are durable before the row naming them commits, and bytes no row names are
/// swept.
package protocol ObjectBytes: Sendable {
    /// A new blob, written piece by piece.
    func create() async throws(ServiceError) -> any BlobWriter
    /// `length` bytes of a blob from `offset`, a piece (at most 1 MiB) at a time.
    func read(_ name: String, offset: Int64, length: Int64, _ piece: ([UInt8]) async throws(ServiceError) -> Void) async throws(ServiceError)
    /// A reply's body of `length` bytes from `offset`.
    func reply(_ name: String, offset: Int64, length: Int64, into reply: inout ServiceReply) throws(ServiceError)
    /// A durable copy of a blob under a new name.
    func copy(_ name: String) async throws(ServiceError) -> String
    /// Blobs no row names any more (after the change that freed them committed).
    func remove(_ names: [String]) async
    /// Removes what a crash left: blobs being written then, and blobs no row names (`named`
    /// lists those the rows name, when the store needs the list).
    func sweep(named: @Sendable () async throws(ServiceError) -> Set<String>) async
}

/// A blob being written; `finish` makes it durable, `abandon` removes it.
package protocol BlobWriter: AnyObject, Sendable {
    var name: String { get }
    func write(_ bytes: [UInt8]) async throws(ServiceError)
    func finish() async throws(ServiceError)
    /// Finishes a blob, except one small enough to be written in the transaction that names
    /// it (one round trip and one commit fewer): its bytes are returned for that transaction
    /// to write (`ObjectStore.Object.inline`). Nil: finished as `finish` does.
    func finishKeepingSmall() async throws(ServiceError) -> [UInt8]?
    func abandon() async
}

extension BlobWriter {
    package func finishKeepingSmall() async throws(ServiceError) -> [UInt8]? {
        try await finish()
        return nil
    }
}

enum ObjectBytesErrors {
    /// A blob's bytes are missing or short: it is gone (or was never whole).
    static let missing = ServiceError("InternalError", "the object's bytes are missing", kind: .server)
}

extension ObjectBytes {
    /// A reply whose body is read through `read` as it is sent (bytes in the database).
    func streamedReply(_ name: String, offset: Int64, length: Int64, into reply: inout ServiceReply) {
        reply.stream = { [self] write in
            try await read(name, offset: offset, length: length) { (piece) throws(ServiceError) in
                do { try await write(piece) } catch { throw ServiceError("InternalError", "the client left", kind: .server) }
            }
        }
    }

    /// A whole blob in memory (for the Task state integrations' small objects).
    func readAll(_ name: String, size: Int64) async throws(ServiceError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Int(size))
        try await read(name, offset: 0, length: size) { (piece) throws(ServiceError) in out += piece }
        return out
    }

    /// A blob written from bytes at hand, durable.
    func store(_ bytes: [UInt8]) async throws(ServiceError) -> String {
        let w = try await create()
        do {
            try await w.write(bytes)
            try await w.finish()
        } catch {
            await w.abandon()
            throw error
        }
        return w.name
    }
}

/// Each blob a file in the object directory: written to a temporary name, fsynced and renamed,
/// the directory's sync shared by concurrent uploads (`GroupSync`); except a small object's
/// (`inlineLimit`), kept as an `s3_chunks` row written in its object's own transaction.
///
/// A small PUT so waits for one durable write instead of two (its file's sync, then its row's
/// commit), and a GET reads row and bytes in one statement. SQLite's own measurements ("Internal
/// Versus External BLOBs in SQLite") find blobs under about 100 KB faster to read from the
/// database than from files of their own, and writes faster yet, since they commit with the row.
package final class FileObjectBytes: ObjectBytes {
    package let directory: String
    let directorySync: GroupSync
    /// The database of the inline blobs.
    let tables: ServiceTables

    /// The largest object kept in the database.
    static let inlineLimit = 64 << 10
    /// Inline blobs' names start so; files' names are UUIDs.
    static let inlinePrefix = "db-"

    static func isInline(_ name: String) -> Bool { name.hasPrefix(inlinePrefix) }

    init(directory: String, tables: ServiceTables) throws(ServiceError) {
        self.directory = directory
        self.tables = tables
        directorySync = GroupSync(directory: directory)
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw ServiceError("InternalError", "the object directory cannot be made: \(error)", kind: .server)
        }
    }

    func path(_ name: String) -> String { directory + "/" + name }

    package func create() async throws(ServiceError) -> any BlobWriter { FileBlobWriter(self) }

    /// An inline blob's bytes.
    func inlineBytes(_ name: String) async throws(ServiceError) -> [UInt8] {
        let found = try await tables.read("the object's bytes") { (c) throws(ServiceError) -> [UInt8]? in
            do {
                return try c.rows("SELECT bytes FROM s3_chunks WHERE file = ?1 AND n = 0", [.text(name)]).first.map { $0[0].bytes ?? [] }
            } catch { throw ObjectStore.failure(error) }
        }
        guard let found else { throw ObjectBytesErrors.missing }
        return found
    }

    package func read(_ name: String, offset: Int64, length: Int64, _ piece: ([UInt8]) async throws(ServiceError) -> Void) async throws(ServiceError) {
        guard length > 0 else { return }
        if Self.isInline(name) {
            let bytes = try await inlineBytes(name)
            guard offset >= 0, offset + length <= Int64(bytes.count) else { throw ObjectBytesErrors.missing }
            try await piece(Array(bytes[Int(offset)..<Int(offset + length)]))
            return
        }
        guard let handle = FileHandle(forReadingAtPath: path(name)) else {
            throw ServiceError("InternalError", "the object's file is missing", kind: .server)
        }
        defer { try? handle.close() }
        do { try handle.seek(toOffset: UInt64(offset)) } catch {
            throw ServiceError("InternalError", "cannot read the object: \(error)", kind: .server)
        }
        var left = length
        while left > 0 {
            let data: Data?
            do { data = try handle.read(upToCount: Int(min(left, 1 << 20))) } catch {
                throw ServiceError("InternalError", "cannot read the object: \(error)", kind: .server)
            }
            guard let data, !data.isEmpty else { break }
            left -= Int64(data.count)
            try await piece(Array(data))
        }
    }

    package func reply(_ name: String, offset: Int64, length: Int64, into reply: inout ServiceReply) throws(ServiceError) {
        if Self.isInline(name) { return streamedReply(name, offset: offset, length: length, into: &reply) }
        // Opened now: the file stays readable while it is sent even if the object is replaced.
        guard let handle = FileHandle(forReadingAtPath: path(name)) else {
            throw ServiceError("InternalError", "the object's file is missing", kind: .server)
        }
        reply.file = FileBody(handle: handle, offset: UInt64(offset), length: UInt64(length))
    }

    package func copy(_ name: String) async throws(ServiceError) -> String {
        if Self.isInline(name) {
            // One statement in the database, committed before the copy is named.
            let copy = Self.inlinePrefix + UUIDText.random()
            try await tables.write("the object's copy") { (c) throws(ServiceError) in
                do {
                    try c.run("INSERT INTO s3_chunks (file, n, bytes, written_ms) SELECT ?2, n, bytes, written_ms FROM s3_chunks WHERE file = ?1",
                              [.text(name), .text(copy)])
                } catch { throw ObjectStore.failure(error) }
            }
            return copy
        }
        let copy = UUIDText.random()
        let temporary = path(".tmp-" + copy)
        do {
            try FileManager.default.copyItem(atPath: path(name), toPath: temporary)
            if let h = FileHandle(forUpdatingAtPath: temporary) { try h.synchronize(); try h.close() }
            try FileManager.default.moveItem(atPath: temporary, toPath: path(copy))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw ServiceError("InternalError", "cannot copy the object: \(error)", kind: .server)
        }
        await directorySync.sync()
        return copy
    }

    package func remove(_ names: [String]) async {
        let inline = names.filter(Self.isInline)
        for n in names where !n.isEmpty && !Self.isInline(n) { try? FileManager.default.removeItem(atPath: path(n)) }
        guard !inline.isEmpty else { return }
        // Not waited on for durability: bytes no row names, lost in a crash, are swept at start.
        _ = try? await tables.write("the freed bytes") { (c) throws(ServiceError) in
            do {
                for n in inline { try c.run("DELETE FROM s3_chunks WHERE file = ?1", [.text(n)]) }
            } catch { throw ObjectStore.failure(error) }
        }
    }

    package func sweep(named: @Sendable () async throws(ServiceError) -> Set<String>) async {
        guard let named = try? await named() else { return }
        let present = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for f in present where !named.contains(f) { try? FileManager.default.removeItem(atPath: path(f)) }
        // Inline bytes whose freeing a crash interrupted.
        _ = try? await tables.write("the abandoned bytes") { (c) throws(ServiceError) in
            do {
                try c.run("""
                    DELETE FROM s3_chunks WHERE file NOT IN (
                        SELECT file FROM s3_objects UNION SELECT file FROM s3_parts UNION SELECT file FROM s3_versions)
                    """, [])
            } catch { throw ObjectStore.failure(error) }
        }
    }
}

/// A file being written under a temporary name; its bytes go to the disk as they come, once
/// there are more than an inline blob holds (until then they wait in memory, and an upload
/// that ends there may be kept inline: `finishKeepingSmall`).
final class FileBlobWriter: BlobWriter, @unchecked Sendable {
    // @unchecked Sendable: one upload writes it, in sequence.
    private let id = UUIDText.random()
    private let bytes: FileObjectBytes
    private var temporary: String { bytes.path(".tmp-" + id) }
    private var out: FileHandle?
    /// Bytes not yet in the file (all of them while the upload is small).
    private var held: [UInt8] = []
    /// Bytes in the file.
    private var size: Int64 = 0
    private var flushedTo: Int64 = 0
    private var closed = false
    private var inline = false

    var name: String { inline ? FileObjectBytes.inlinePrefix + id : id }

    init(_ bytes: FileObjectBytes) {
        self.bytes = bytes
    }

    func write(_ chunk: [UInt8]) async throws(ServiceError) {
        guard !chunk.isEmpty else { return }
        if out == nil {
            if held.count + chunk.count <= FileObjectBytes.inlineLimit {
                held += chunk
                return
            }
            try open()
        }
        try append(chunk)
    }

    /// Creates the temporary file and writes what was held.
    private func open() throws(ServiceError) {
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let out = FileHandle(forWritingAtPath: temporary) else {
            throw ServiceError("InternalError", "cannot create \(temporary)", kind: .server)
        }
        self.out = out
        let first = held
        held = []
        try append(first)
    }

    private func append(_ chunk: [UInt8]) throws(ServiceError) {
        guard !chunk.isEmpty, let out else { return }
        let fd = out.fileDescriptor
        let failed: Int32? = chunk.withUnsafeBytes { raw -> Int32? in
            var done = 0
            while done < raw.count {
                let n = Foundation.write(fd, raw.baseAddress.map { $0 + done }, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return nil
        }
        if let failed { throw ServiceError("InternalError", "cannot write the object: errno \(failed)", kind: .server) }
        size += Int64(chunk.count)
        // Start the disk's writeback as the upload goes (not waiting for it), so the final
        // fsync finds little left to write and the disk works while the hashes are computed.
        if size - flushedTo >= 8 << 20 {
            _ = baton_start_writeback(fd, flushedTo, size - flushedTo)
            flushedTo = size
        }
    }

    func finishKeepingSmall() async throws(ServiceError) -> [UInt8]? {
        guard out == nil else {
            try await finish()
            return nil
        }
        inline = true
        closed = true
        return held
    }

    func finish() async throws(ServiceError) {
        if out == nil { try open() }
        guard let out else { return }
        do {
            // A small object's bytes are made durable by the group sync below (with the other
            // uploads in flight); a large one's are synced here, its writeback already begun.
            if !GroupSync.coversFileData || size >= 1 << 20 { try out.synchronize() }
            try out.close()
            closed = true
            // Durable before it is named: the rename and the directory's own sync.
            try FileManager.default.moveItem(atPath: temporary, toPath: bytes.path(name))
        } catch {
            throw ServiceError("InternalError", "cannot store the object: \(error)", kind: .server)
        }
        await bytes.directorySync.sync()
    }

    func abandon() async {
        if !closed { try? out?.close() }
        closed = true
        held = []
        guard out != nil else { return }
        try? FileManager.default.removeItem(atPath: temporary)
        try? FileManager.default.removeItem(atPath: bytes.path(name))
    }
}
