import Engine
import Foundation
import Journal
import JournalPostgres
import ServiceKit
import StatesLanguage
import Testing
@testable import Objects

/// S3 over a real journal and data directory, called as the front door calls it: objects
/// streamed in (plain and aws-chunked with a trailer checksum) and read back, listings with
/// delimiters and pages, multipart uploads with AWS's ETag, and what a crash mid-upload
/// leaves; the storage tests on both backends (bytes in files with SQLite, in the shared
/// database with PostgreSQL).
@Suite struct ObjectStoreTests {
    /// SQLite and files in the data directory, or PostgreSQL (a schema of the test's own)
    /// when `BATON_TEST_POSTGRES` names a server.
    enum Backend: String, CaseIterable, Sendable {
        case sqlite, postgres
        static let url = ProcessInfo.processInfo.environment["BATON_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
        static var allCases: [Backend] { url == nil ? [.sqlite] : [.sqlite, .postgres] }
    }

    // @unchecked Sendable: a test uses its fixture in sequence; only the closing task outlives it.
    final class Fixture: @unchecked Sendable {
        let dir = NSTemporaryDirectory() + "baton-s3-\(UUID().uuidString)"
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let backend: Backend
        let clock = ManualEngineClock()
        var close: @Sendable () async -> Void = {}
        var s3: S3Service

        init(_ backend: Backend = .sqlite) async throws {
            self.backend = backend
            let (s3, close) = try await Self.open(backend, dir: dir, schema: schema, clock: clock)
            self.s3 = s3
            self.close = close
        }

        static func open(_ backend: Backend, dir: String, schema: String, clock: ManualEngineClock) async throws
            -> (S3Service, @Sendable () async -> Void) {
            let db = try SQLiteJournal(directory: dir, synchronous: .normal)
            switch backend {
            case .sqlite:
                return (try await S3Service(ServiceContext(engine: Engine(journal: db, clock: clock), database: db, dataDirectory: dir)), { db.close() })
            case .postgres:
                var location = try PostgresLocation(url: Backend.url ?? "")
                location.schema = schema
                location.poolSize = 2
                let pg = try await PostgresJournal(location: location)
                let s3 = try await S3Service(ServiceContext(engine: Engine(journal: pg, clock: clock), database: db, store: pg, dataDirectory: dir))
                return (s3, {
                    await pg.close()
                    db.close()
                })
            }
        }

        func reopen() async throws {
            await close()
            (s3, close) = try await Self.open(backend, dir: dir, schema: schema, clock: clock)
        }

        func shutdown() async {
            await close()
            try? FileManager.default.removeItem(atPath: dir)
        }

        deinit { try? FileManager.default.removeItem(atPath: dir) }

        /// The blobs of bytes kept (files, or blobs in the database not freed), whatever their backend.
        func blobs() async throws -> Int {
            let files = backend == .sqlite ? try FileManager.default.contentsOfDirectory(atPath: dir + "/objects").count : 0
            return files + (try await inlineBlobs().count)
        }

        /// The names of the blobs in the database (with SQLite, small objects' bytes).
        func inlineBlobs() async throws -> [String] {
            try await s3.store.tables.read("blobs") { (c) throws(ServiceError) in
                do {
                    return try c.rows("SELECT DISTINCT file FROM s3_chunks WHERE file NOT IN (SELECT file FROM s3_garbage) ORDER BY file", [])
                        .map { $0[0].string ?? "" }
                } catch { throw ServiceError("InternalError", "\(error)") }
            }
        }

        func call(_ method: String, _ bucket: String?, _ key: String? = nil, query: [String: String] = [:], headers: [String: String] = [:],
                  body: [UInt8] = []) async throws -> ServiceReply {
            try await s3.call(method, bucket, key, query: query, headers: headers, body: body)
        }

        func read(_ reply: ServiceReply) async throws -> [UInt8] {
            if let stream = reply.stream {
                let got = LockedValue<[UInt8]>([])
                try await stream { piece in got.mutate { $0 += piece } }
                return got.value
            }
            guard let f = reply.file else { return reply.body }
            try f.handle.seek(toOffset: f.offset)
            defer { try? f.handle.close() }
            return Array(try f.handle.read(upToCount: Int(f.length)) ?? Data())
        }

        func header(_ reply: ServiceReply, _ name: String) -> String? {
            reply.headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    @Test(arguments: Backend.allCases)
    func anObjectStreamsInAndOutWithItsMetadataAndRanges(_ backend: Backend) async throws {
        let f = try await Fixture(backend)
        defer { Task { await f.shutdown() } }
        _ = try await f.call("PUT", "docs")
        let put = try await f.call("PUT", "docs", "a/b.txt", headers: ["content-type": "text/plain", "x-amz-meta-who": "ana"],
                                   body: Array("hello world".utf8))
        #expect(f.header(put, "ETag") == "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"")
        let get = try await f.call("GET", "docs", "a/b.txt")
        #expect(try await f.read(get) == Array("hello world".utf8))
        #expect(f.header(get, "Content-Type") == "text/plain")
        #expect(f.header(get, "x-amz-meta-who") == "ana")
        let range = try await f.call("GET", "docs", "a/b.txt", headers: ["range": "bytes=-5"])
        #expect(range.status == 206)
        #expect(try await f.read(range) == Array("world".utf8))
        #expect(f.header(range, "Content-Range") == "bytes 6-10/11")
        let notModified = try await f.call("GET", "docs", "a/b.txt", headers: ["if-none-match": "\"5eb63bbbe01eeed093cb22bb8f5acdc3\""])
        #expect(notModified.status == 304)
        await #expect(throws: ServiceError.self) { try await f.call("GET", "docs", "a/b.txt", headers: ["if-match": "\"other\""]) }
        await #expect(throws: ServiceError.self) { try await f.call("GET", "docs", "a/b.txt", headers: ["range": "bytes=20-"]) }
        // Durable: the same object after the journal is opened again.
        try await f.reopen()
        #expect(try await f.read(try await f.call("GET", "docs", "a/b.txt")) == Array("hello world".utf8))
    }

    @Test(arguments: Backend.allCases)
    func anAWSChunkedBodyIsDecodedAndItsTrailerChecksumChecked(_ backend: Backend) async throws {
        let f = try await Fixture(backend)
        defer { Task { await f.shutdown() } }
        _ = try await f.call("PUT", "docs")
        let data = Array("hello world".utf8)
        var crc = Checksum(.crc32)
        crc.update(data)
        #expect(crc.value() == "DUoRhQ==", "CRC32 of 'hello world', base64")
        func chunked(_ checksum: String) -> [UInt8] {
            Array("5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:\(checksum)\r\n\r\n".utf8)
        }
        let headers = ["content-encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                       "x-amz-trailer": "x-amz-checksum-crc32", "x-amz-decoded-content-length": "11"]
        let put = try await f.call("PUT", "docs", "c", headers: headers, body: chunked("DUoRhQ=="))
        #expect(f.header(put, "x-amz-checksum-crc32") == "DUoRhQ==")
        #expect(try await f.read(try await f.call("GET", "docs", "c")) == data)
        await #expect(throws: ServiceError("BadDigest", "")) {
            try await f.call("PUT", "docs", "d", headers: headers, body: chunked("AAAAAA=="))
        }
        // Refused whole: no object, no file left behind.
        await #expect(throws: ServiceError("NoSuchKey", "")) { try await f.call("GET", "docs", "d") }
        #expect(try await f.blobs() == 1)
    }

    @Test(arguments: Backend.allCases)
    func listingsRollKeysUpUnderTheDelimiterAndPage(_ backend: Backend) async throws {
        let f = try await Fixture(backend)
        defer { Task { await f.shutdown() } }
        _ = try await f.call("PUT", "docs")
        for k in ["a/1", "a/2", "b/1", "c", "d"] { _ = try await f.call("PUT", "docs", k, body: [1]) }
        let rolled = try await f.s3.page("docs", prefix: "", delimiter: "/", after: nil, max: 1000)
        #expect(rolled.prefixes == ["a/", "b/"])
        #expect(rolled.objects.map(\.key) == ["c", "d"])
        let first = try await f.s3.page("docs", prefix: "", delimiter: "/", after: nil, max: 3)
        #expect(first.prefixes == ["a/", "b/"] && first.objects.map(\.key) == ["c"] && first.truncated)
        let second = try await f.s3.page("docs", prefix: "", delimiter: "/", after: first.last, max: 3)
        #expect(second.objects.map(\.key) == ["d"] && !second.truncated)
        let under = try await f.s3.page("docs", prefix: "a/", delimiter: nil, after: "a/1", max: 10)
        #expect(under.objects.map(\.key) == ["a/2"])
    }

    @Test(arguments: Backend.allCases)
    func aMultipartUploadJoinsItsPartsWithAWSsETag(_ backend: Backend) async throws {
        let f = try await Fixture(backend)
        defer { Task { await f.shutdown() } }
        _ = try await f.call("PUT", "docs")
        let created = try await f.call("POST", "docs", "big", query: ["uploads": ""])
        let id = try #require(String(decoding: created.body, as: UTF8.self).components(separatedBy: "<UploadId>").last?
            .components(separatedBy: "</UploadId>").first)
        let first = [UInt8](repeating: 7, count: 5 * 1024 * 1024)
        let e1 = try #require(f.header(try await f.call("PUT", "docs", "big", query: ["uploadId": id, "partNumber": "1"], body: first), "ETag"))
        let e2 = try #require(f.header(try await f.call("PUT", "docs", "big", query: ["uploadId": id, "partNumber": "2"], body: [1, 2, 3]), "ETag"))
        let xml = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(e1)</ETag></Part><Part><PartNumber>2</PartNumber><ETag>\(e2)</ETag></Part></CompleteMultipartUpload>"
        let done = try await f.call("POST", "docs", "big", query: ["uploadId": id], body: Array(xml.utf8))
        let md5s = ObjectStoreTests.hex(e1) + ObjectStoreTests.hex(e2)
        #expect(String(decoding: done.body, as: UTF8.self).contains("-2"))
        let object = try #require(try await f.s3.store.object("docs", "big"))
        #expect(object.etag == ObjectStoreTests.md5Hex(md5s) + "-2")
        #expect(object.size == Int64(first.count + 3))
        // The parts' bytes are gone; the object's are the one blob left.
        #expect(try await f.blobs() == 1)
        await #expect(throws: ServiceError("NoSuchUpload", "")) {
            try await f.call("PUT", "docs", "big", query: ["uploadId": id, "partNumber": "3"], body: [1])
        }
    }

    @Test func whatACrashMidUploadLeavesIsSweptAtTheNextStart() async throws {
        let f = try await Fixture()
        _ = try await f.call("PUT", "docs")
        // A temporary file of an upload that never finished, and a file no row names.
        FileManager.default.createFile(atPath: f.dir + "/objects/.tmp-crashed", contents: Data([1, 2, 3]))
        FileManager.default.createFile(atPath: f.dir + "/objects/orphan", contents: Data([1]))
        _ = try await f.call("PUT", "docs", "kept", body: [9])
        let large = [UInt8](repeating: 4, count: FileObjectBytes.inlineLimit + 1)
        _ = try await f.call("PUT", "docs", "large", body: large)
        // Inline bytes whose object is gone (a crash before they were freed).
        try await f.s3.store.tables.write("an orphan") { (c) throws(ServiceError) in
            do { try c.run("INSERT INTO s3_chunks (file, n, bytes, written_ms) VALUES ('db-orphan', 0, x'01', 0)", []) } catch {
                throw ServiceError("InternalError", "\(error)")
            }
        }
        try await f.reopen()
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.dir + "/objects").count == 1, "the large object's file")
        #expect(try await f.inlineBlobs().count == 1, "the small object's bytes, not the orphan")
        #expect(try await f.read(try await f.call("GET", "docs", "kept")) == [9])
        #expect(try await f.read(try await f.call("GET", "docs", "large")) == large)
    }

    /// With SQLite, an object up to `inlineLimit` is kept in the database, written in its row's
    /// transaction (one durable write), and every way of reading or copying it finds it; a larger
    /// one is a file; replacing or deleting either frees its bytes.
    @Test func aSmallObjectIsKeptWithItsRowAndALargeOneInAFile() async throws {
        let f = try await Fixture()
        defer { Task { await f.shutdown() } }
        func files() throws -> Int { try FileManager.default.contentsOfDirectory(atPath: f.dir + "/objects").count }
        _ = try await f.call("PUT", "docs")
        let small = (0..<FileObjectBytes.inlineLimit).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        _ = try await f.call("PUT", "docs", "small", body: small)
        let object = try #require(try await f.s3.store.object("docs", "small"))
        #expect(FileObjectBytes.isInline(object.file))
        #expect(try await f.inlineBlobs() == [object.file])
        #expect(try files() == 0, "no file for a small object")
        #expect(try await f.read(try await f.call("GET", "docs", "small")) == small)
        #expect(try await f.read(try await f.call("GET", "docs", "small", headers: ["range": "bytes=10-19"])) == Array(small[10...19]))
        // Read through the store's bytes (the integrations' and UploadPartCopy's path) and the
        // streamed reply (a versioned GET's path).
        #expect(try await f.s3.store.bytes.readAll(object.file, size: object.size) == small)
        var reply = ServiceReply(status: 200)
        try f.s3.store.bytes.reply(object.file, offset: 5, length: 3, into: &reply)
        #expect(try await f.read(reply) == Array(small[5...7]))
        // A copy is a second inline blob; the empty object is inline too.
        _ = try await f.call("PUT", "docs", "copy", headers: ["x-amz-copy-source": "/docs/small"])
        #expect(try await f.read(try await f.call("GET", "docs", "copy")) == small)
        _ = try await f.call("PUT", "docs", "empty", body: [])
        #expect(try await f.read(try await f.call("GET", "docs", "empty")) == [])
        #expect(try await f.inlineBlobs().count == 3)
        #expect(try files() == 0)
        // One byte more is a file.
        _ = try await f.call("PUT", "docs", "large", body: small + [1])
        #expect(try files() == 1)
        #expect(try await f.read(try await f.call("GET", "docs", "large")) == small + [1])
        // Replaced by a large one, a small one's bytes are freed; and the other way round.
        _ = try await f.call("PUT", "docs", "small", body: small + [2])
        _ = try await f.call("PUT", "docs", "large", body: [3])
        #expect(try files() == 1)
        #expect(try await f.inlineBlobs().count == 3)
        for k in ["small", "large", "copy", "empty"] { _ = try await f.call("DELETE", "docs", k) }
        #expect(try files() == 0)
        #expect(try await f.inlineBlobs().isEmpty)
    }

    /// Bytes larger than a chunk of the database's blobs (1 MiB): whole, ranges across chunk
    /// boundaries, a copy, a part copied from a range, and the object written again.
    @Test(arguments: Backend.allCases)
    func aLargeObjectReadsBackWholeAndByRangesAndCopies(_ backend: Backend) async throws {
        let f = try await Fixture(backend)
        defer { Task { await f.shutdown() } }
        _ = try await f.call("PUT", "docs")
        let data = (0..<(3 * 1024 * 1024 + 12345)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
        _ = try await f.call("PUT", "docs", "big", body: data)
        #expect(try await f.read(try await f.call("GET", "docs", "big")) == data)
        for (a, b) in [(0, 0), (1_048_575, 1_048_576), (1_000_000, 2_200_000), (3_145_727, data.count - 1), (5, 1_048_575)] {
            let got = try await f.read(try await f.call("GET", "docs", "big", headers: ["range": "bytes=\(a)-\(b)"]))
            #expect(got == Array(data[a...b]), "bytes \(a)-\(b)")
        }
        _ = try await f.call("PUT", "docs", "copy", headers: ["x-amz-copy-source": "/docs/big"])
        #expect(try await f.read(try await f.call("GET", "docs", "copy")) == data)
        let created = try await f.call("POST", "docs", "parted", query: ["uploads": ""])
        let id = try #require(String(decoding: created.body, as: UTF8.self).components(separatedBy: "<UploadId>").last?
            .components(separatedBy: "</UploadId>").first)
        let copied = try await f.call("PUT", "docs", "parted", query: ["uploadId": id, "partNumber": "1"],
                                      headers: ["x-amz-copy-source": "/docs/big", "x-amz-copy-source-range": "bytes=1048000-2097999"])
        let etag = try #require(String(decoding: copied.body, as: UTF8.self).components(separatedBy: "<ETag>").last?
            .components(separatedBy: "</ETag>").first)
        let xml = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(etag)</ETag></Part></CompleteMultipartUpload>"
        _ = try await f.call("POST", "docs", "parted", query: ["uploadId": id], body: Array(xml.utf8))
        #expect(try await f.read(try await f.call("GET", "docs", "parted")) == Array(data[1_048_000...2_097_999]))
        // Written again: the new bytes are read, and the old ones are no longer kept.
        _ = try await f.call("PUT", "docs", "big", body: [1, 2, 3])
        #expect(try await f.read(try await f.call("GET", "docs", "big")) == [1, 2, 3])
        #expect(try await f.blobs() == 3)
    }

    /// PostgreSQL: a blob freed by a change stays readable for a minute (a download that began
    /// before the change reads to its end), then goes; chunks an upload cut short by a crash
    /// left, older than an hour and named by no row, are swept at the next start.
    @Test(.enabled(if: Backend.url != nil, "BATON_TEST_POSTGRES is not set: the PostgreSQL store did not run"))
    func freedAndAbandonedBytesGoFromTheDatabase() async throws {
        let f = try await Fixture(.postgres)
        defer { Task { await f.shutdown() } }
        _ = try await f.call("PUT", "docs")
        _ = try await f.call("PUT", "docs", "k", body: [1])
        let download = try await f.call("GET", "docs", "k")
        _ = try await f.call("PUT", "docs", "k", body: [2])
        #expect(try await f.read(download) == [1], "the old bytes, read after the change")
        func chunks() async throws -> Int64 {
            try await f.s3.store.tables.read("chunks") { (c) throws(ServiceError) in
                do { return try c.rows("SELECT COUNT(*) FROM s3_chunks", []).first?[0].int64 ?? -1 } catch { throw ServiceError("InternalError", "\(error)") }
            }
        }
        #expect(try await chunks() == 2)
        f.clock.advance(seconds: 61)
        _ = try await f.call("PUT", "docs", "k", body: [3])
        #expect(try await chunks() == 2, "the first bytes collected, the second ones in their grace")
        // An upload a crash cut short, two hours ago.
        let old = f.clock.now().milliseconds - 7_200_000
        try await f.s3.store.tables.write("crashed") { (c) throws(ServiceError) in
            do {
                try c.run("INSERT INTO s3_chunks (file, n, bytes, written_ms) VALUES ('crashed', 0, ?1, ?2)", [.bytes([9]), .integer(old)])
            } catch { throw ServiceError("InternalError", "\(error)") }
        }
        f.clock.advance(seconds: 61)
        try await f.reopen()
        #expect(try await chunks() == 1)
        #expect(try await f.read(try await f.call("GET", "docs", "k")) == [3])
    }

    /// The check values of each algorithm's catalogue entry ("123456789"), as S3 shows them (base64).
    @Test(arguments: [(Checksum.Algorithm.crc32, "y/Q5Jg=="), (.crc32c, "4waSgw=="), (.crc64nvme, "rosUhgp5mIg=")])
    func checksumCheckValues(_ algorithm: Checksum.Algorithm, _ expected: String) {
        var c = Checksum(algorithm)
        c.update(Array("1234".utf8))
        c.update(Array("56789".utf8))
        #expect(c.value() == expected)
    }

    @Test func tagsAndBucketConfigurationsAreKeptAndBadChecksumsRefused() async throws {
        let f = try await Fixture()
        _ = try await f.call("PUT", "docs")
        await #expect(throws: ServiceError("InvalidRequest", "")) {
            try await f.call("PUT", "docs", "x", headers: ["x-amz-checksum-crc32": "not-base64!"], body: [1])
        }
        _ = try await f.call("PUT", "docs", "t", headers: ["x-amz-tagging": "team=core&tier=1"], body: [1])
        let tagging = String(decoding: try await f.call("GET", "docs", "t", query: ["tagging": ""]).body, as: UTF8.self)
        #expect(tagging.contains("<Key>team</Key><Value>core</Value>") && tagging.contains("<Key>tier</Key><Value>1</Value>"))
        #expect(f.header(try await f.call("HEAD", "docs", "t"), "x-amz-tagging-count") == "2")
        await #expect(throws: ServiceError("OwnershipControlsNotFoundError", "")) {
            try await f.call("GET", "docs", query: ["ownershipControls": ""])
        }
        let controls = "<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>"
        _ = try await f.call("PUT", "docs", query: ["ownershipControls": ""], body: Array(controls.utf8))
        #expect(try await f.call("GET", "docs", query: ["ownershipControls": ""]).body == Array(controls.utf8))
        await #expect(throws: ServiceError("MalformedXML", "")) {
            try await f.call("PUT", "docs", query: ["versioning": ""],
                             body: Array("<VersioningConfiguration><Status>Sometimes</Status></VersioningConfiguration>".utf8))
        }
    }

    @Test(arguments: [(Int64(0), "Thu, 01 Jan 1970 00:00:00 GMT"), (1_796_137_200_999, "Tue, 01 Dec 2026 15:00:00 GMT"),
                      (951_782_400_000, "Tue, 29 Feb 2000 00:00:00 GMT")])
    func lastModifiedIsAnIMFFixdate(_ millis: Int64, _ text: String) {
        #expect(S3Service.httpDate(millis) == text)
        #expect(S3Service.parseHTTPDate(text) == millis / 1000 * 1000)
    }

    /// S3's conditional writes: `If-None-Match: *` creates only a free key, `If-Match` replaces
    /// only the object it names; both checked in the write's own transaction.
    @Test(arguments: Backend.allCases)
    func conditionalWritesCheckTheKeyInTheirOwnTransaction(_ backend: Backend) async throws {
        let f = try await Fixture(backend)
        defer { Task { await f.shutdown() } }
        _ = try await f.call("PUT", "docs")
        let first = try await f.call("PUT", "docs", "k", headers: ["if-none-match": "*"], body: [1])
        await #expect(throws: ServiceError("PreconditionFailed", "")) {
            try await f.call("PUT", "docs", "k", headers: ["if-none-match": "*"], body: [2])
        }
        await #expect(throws: ServiceError("PreconditionFailed", "")) {
            try await f.call("PUT", "docs", "k", headers: ["if-match": "\"00000000000000000000000000000000\""], body: [2])
        }
        await #expect(throws: ServiceError("NoSuchKey", "")) { try await f.call("PUT", "docs", "other", headers: ["if-match": "\"abc\""], body: [2]) }
        await #expect(throws: ServiceError("NotImplemented", "")) { try await f.call("PUT", "docs", "k", headers: ["if-match": "*"], body: [2]) }
        _ = try await f.call("PUT", "docs", "k", headers: ["if-match": try #require(f.header(first, "ETag"))], body: [3])
        #expect(try await f.read(try await f.call("GET", "docs", "k")) == [3])
        // Refused writes left nothing behind: one object, one blob.
        #expect(try await f.blobs() == 1)
    }

    @Test(arguments: [("my-bucket", true), ("ab", false), ("My-Bucket", false), ("a..b", false), ("192.168.0.1", false),
                      ("-ab", false), ("docs.v2", true)])
    func bucketNames(_ name: String, _ valid: Bool) {
        #expect(S3Service.validBucketName(name) == valid)
    }

    static func hex(_ etag: String) -> [UInt8] { S3Service.hexBytes(etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))) }
    static func md5Hex(_ bytes: [UInt8]) -> String {
        Hashing.digest(bytes, algorithm: "MD5")?.map { String(format: "%02x", $0) }.joined() ?? ""
    }
}
