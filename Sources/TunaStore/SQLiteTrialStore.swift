import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// The trial store on an SQLite file, through GRDB.
///
/// One `DatabaseQueue` (one connection) per opening: the scheduler is the only writer, so a
/// pool buys nothing for it, and the readers (`tuna best`, `tuna trials`, the dashboard) are
/// other processes with their own read-only opening. The file is in WAL mode, so those readers
/// see the last committed state while the scheduler writes, and never wait for it.
///
/// Durability: by default `synchronous = NORMAL` under WAL. A commit survives the scheduler
/// crashing or being killed; a power cut or kernel crash may lose the last commits (the ones
/// since the last WAL checkpoint sync) but never corrupts the file. `.full` syncs the WAL on
/// every commit instead, at several times the cost per write.
public final class SQLiteTrialStore: TrialStore {
    /// How hard commits are pushed to disk.
    public enum Durability: Sendable {
        /// WAL + `synchronous = NORMAL`: safe against process crashes, not against power loss.
        case normal
        /// WAL + `synchronous = FULL`: every commit is synced.
        case full
    }

    /// The file as given by the caller; every error message names it.
    public let path: String
    /// True for an opening made with `init(readOnlyPath:)`.
    public let isReadOnly: Bool
    let dbQueue: DatabaseQueue
    /// The writer's checkpoints (none for read-only openings).
    let checkpointer: WALCheckpointer?
    /// The clock for every stored time; injectable so tests can check timestamps exactly.
    let now: @Sendable () -> Date

    /// Opens (creating if needed) the database at `path` for writing and migrates its schema.
    ///
    /// Throws `StoreError` naming the path: `.cannotOpen`, `.notADatabase`,
    /// `.notATunaDatabase`, `.newerSchema`.
    public init(
        path: String, durability: Durability = .normal,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.path = path
        self.isReadOnly = false
        self.now = clock
        var config = Self.baseConfiguration()
        config.journalMode = .wal  // GRDB also sets synchronous = NORMAL with it
        if durability == .full {
            config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        }
        // Checkpoints run on `WALCheckpointer`'s thread, not inside this connection's commits.
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            // Checked in a write transaction so that nobody migrates between check and migrate.
            try queue.write { db in _ = try Schema.check(db, path: path) }
            try Schema.migrator.migrate(queue)
            self.dbQueue = queue
            checkpointer = path == ":memory:" || path.isEmpty ? nil : try WALCheckpointer(path: path, writer: queue)
        } catch {
            throw Self.storeError(error, path: path, opening: true)
        }
    }

    /// Opens an existing database read-only: for processes that read while the scheduler writes.
    ///
    /// Every write through this opening throws `StoreError.readOnly`. The schema must already
    /// be current (a reader cannot migrate): otherwise `.schemaNotReady` or `.newerSchema`.
    public init(readOnlyPath path: String) throws {
        self.path = path
        self.isReadOnly = true
        self.now = { Date() }
        checkpointer = nil
        var config = Self.baseConfiguration()
        config.readonly = true
        do {
            // SQLite would open a missing file read-only and fail later with a vaguer message.
            guard FileManager.default.fileExists(atPath: path) else {
                throw StoreError.cannotOpen(path: path, reason: "no such file")
            }
            let queue = try DatabaseQueue(path: path, configuration: config)
            try queue.read { db in
                let found = try Schema.check(db, path: path)
                guard found == Schema.version else {
                    throw StoreError.schemaNotReady(path: path, found: found, required: Schema.version)
                }
            }
            self.dbQueue = queue
        } catch {
            throw Self.storeError(error, path: path, opening: true)
        }
    }

    deinit {
        checkpointer?.stop()
    }

    /// Closes the connection now rather than at deinit (so a test can reopen the file).
    public func close() throws {
        checkpointer?.stop()
        do { try dbQueue.close() } catch { throw Self.storeError(error, path: path, opening: false) }
    }

    /// Keeps glibc from handing freed heap back to the OS after every commit (Linux only).
    ///
    /// Measured with `StoreBenchmark`: with glibc's default 128 KiB trim threshold, the heap
    /// top is returned and page-faulted back in on every transaction, which took about half
    /// of the store's CPU time (batched: ~5,000 → ~10,000 trials per CPU second with this).
    /// Process-wide, so the daemon's `main` calls it once; the store never does so behind its
    /// back. Returns whether the setting took effect.
    @discardableResult
    public static func keepFreedHeap(upTo bytes: Int = 64 << 20) -> Bool {
        #if canImport(Glibc)
            // <malloc.h> is not part of Swift's Glibc module: look the function up instead.
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
            return mallopt(trimThreshold, Int32(clamping: bytes)) == 1
        #else
            return false
        #endif
    }

    /// The schema version recorded in the file (`PRAGMA user_version`).
    public func schemaVersion() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
    }

    /// SQLite's own check of the file (`PRAGMA integrity_check`): `["ok"]` when it is sound,
    /// else the problems it found.
    public func integrityCheck() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    /// Runs raw SQL outside any transaction (so ATTACH works). Internal: for tests that
    /// fake a newer or foreign file; it bypasses the trial state machine.
    func executeRaw(_ sql: String) throws {
        do {
            try dbQueue.writeWithoutTransaction { db in try db.execute(sql: sql) }
        } catch {
            throw Self.storeError(error, path: path, opening: false)
        }
    }

    private static func baseConfiguration() -> Configuration {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.label = "TunaStore"
        // Readers wait out a checkpoint or a WAL recovery instead of failing at once.
        config.busyMode = .timeout(5)
        return config
    }

    // MARK: - Transactions and errors

    /// The transaction of the batch running on this thread, if any. A task-local (which also
    /// works outside tasks, per thread) because it must be visible exactly within `body`'s
    /// dynamic extent: calling `dbQueue.write` or `read` again in there would be reentrant.
    @TaskLocal static var openBatch: OpenBatch?

    /// `Database` is not `Sendable`; this box only lives in the task-local above, read by the
    /// thread that runs the batch while GRDB's write closure is on its stack.
    struct OpenBatch: @unchecked Sendable {
        let store: ObjectIdentifier
        let db: Database
    }

    private var batchDatabase: Database? {
        guard let open = Self.openBatch, open.store == ObjectIdentifier(self) else { return nil }
        return open.db
    }

    public func batch<T>(_ body: () throws -> T) throws -> T {
        if batchDatabase != nil { return try body() }  // nested: join the outer batch
        do {
            return try dbQueue.write { db in
                try Self.$openBatch.withValue(OpenBatch(store: ObjectIdentifier(self), db: db)) { try body() }
            }
        } catch {
            throw Self.storeError(error, path: path, opening: false)
        }
    }

    /// One write transaction (or a part of the open batch); database errors come out as
    /// `StoreError`s naming the file.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            if let db = batchDatabase { return try body(db) }
            return try dbQueue.write(body)
        } catch {
            throw Self.storeError(error, path: path, opening: false)
        }
    }

    /// One read transaction (a consistent snapshot of the file), or the open batch's view.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            if let db = batchDatabase { return try body(db) }
            return try dbQueue.read(body)
        } catch {
            throw Self.storeError(error, path: path, opening: false)
        }
    }

    /// Database errors become `StoreError`s; other errors (the caller's own, thrown out of a
    /// batch) pass through unchanged.
    static func storeError(_ error: any Error, path: String, opening: Bool) -> any Error {
        if error is StoreError { return error }
        guard let error = error as? DatabaseError else {
            return opening ? StoreError.cannotOpen(path: path, reason: String(describing: error)) : error
        }
        let message = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT: return StoreError.notADatabase(path: path)
        case .SQLITE_READONLY:
            // At opening, the scheduler asked to write and the file (or its directory) refuses.
            return opening
                ? StoreError.cannotOpen(path: path, reason: "the file or its directory is read-only")
                : StoreError.readOnly(path: path)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH:
            return StoreError.cannotOpen(path: path, reason: openFailureReason(path: path, sqlite: message))
        case .SQLITE_IOERR, .SQLITE_FULL:
            return opening
                ? StoreError.cannotOpen(path: path, reason: message) : StoreError.database(path: path, message: message)
        default: return StoreError.database(path: path, message: message)
        }
    }

    /// SQLite says "unable to open database file" for every cause; find the likely one.
    private static func openFailureReason(path: String, sqlite: String) -> String {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "it is a directory"
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty {
            var parentIsDirectory: ObjCBool = false
            if !files.fileExists(atPath: parent, isDirectory: &parentIsDirectory) {
                return "directory '\(parent)' does not exist"
            }
            if !parentIsDirectory.boolValue { return "'\(parent)' is not a directory" }
            if !files.isWritableFile(atPath: parent) { return "directory '\(parent)' is not writable" }
        }
        return sqlite
    }
}
