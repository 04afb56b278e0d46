import Journal

/// A service store's writes and reads on the journal's database, with the service's own
/// errors: a `ServiceError` thrown by the body rolls its savepoint back (nothing of the
/// call is stored) and reaches the caller as it was thrown; a storage failure becomes an
/// InternalServerError naming what could not be done.
extension SQLiteJournal {
    /// Runs `body` on the writer, in one savepoint of a group commit; returns once the commit is durable.
    package func write<T: Sendable>(_ what: String, _ body: @escaping @Sendable (SQLiteConnection) throws(ServiceError) -> T) async throws(ServiceError) -> T {
        let box = ServiceResultBox<T>()
        do {
            try await perform { (c) throws(JournalError) in
                do throws(ServiceError) {
                    box.value = .success(try body(c))
                } catch {
                    box.value = .failure(error)
                    throw JournalError(.versionConflict, "rolled back: \(error.code)")
                }
            }
        } catch {
            if case .failure(let e)? = box.value { throw e }
            throw ServiceError("InternalServerError", "\(what) could not be stored: \(error)", kind: .server)
        }
        switch box.value {
        case .success(let v)?: return v
        case .failure(let e)?: throw e
        case nil: throw ServiceError("InternalServerError", "\(what) was not applied", kind: .server)
        }
    }

    /// Runs `body` on the reader connection.
    package func read<T>(_ what: String, _ body: (SQLiteConnection) throws(ServiceError) -> T) throws(ServiceError) -> T {
        let box = ServiceResultBox<T>()
        do {
            try read { (c) throws(JournalError) in
                do throws(ServiceError) { box.value = .success(try body(c)) } catch { box.value = .failure(error) }
            }
        } catch {
            throw ServiceError("InternalServerError", "\(what) could not be read: \(error)", kind: .server)
        }
        switch box.value {
        case .success(let v)?: return v
        case .failure(let e)?: throw e
        case nil: throw ServiceError("InternalServerError", "\(what) was not read", kind: .server)
        }
    }
}

final class ServiceResultBox<T>: @unchecked Sendable {
    // @unchecked Sendable: written by the writer (or reader) closure, read after it returned.
    var value: Result<T, ServiceError>?
}
