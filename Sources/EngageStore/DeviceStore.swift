import EngageCore
import EngageModel
import EngageReplica
import EngageResources
import EngageStorage
import Foundation
import GRDB

/// The device's database: the one facade over its SQLite file. Each public method is one
/// transaction that keeps an invariant, e.g. "the typed row and the field stamps agree".
public struct DeviceStore: Sendable {
    let writer: any DatabaseWriter
    /// The device's raw physical clock in milliseconds; injected so tests own time.
    let physicalMs: @Sendable () -> Int64
    /// Set when the file could be opened for reading only (its disk is full): every write is
    /// refused with it, before anything is attempted.
    let writesRefused: StoreError?

    /// Opens (creating if needed) the database at `path` in WAL mode and migrates it. On a full
    /// disk (WAL mode needs room for its shared-memory file) an existing database is opened on
    /// one connection that keeps the WAL index in its own memory (`locking_mode = EXCLUSIVE`):
    /// reads work, and every write fails with `disk_full` and changes nothing.
    public init(path: String, physicalMs: @escaping @Sendable () -> Int64 = DeviceStore.systemMs) throws(StoreError) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Self.createPrivateFile(path)
            try self.init(writer: SQLiteStore.pool(path, configuration: SQLiteStore.configuration), physicalMs: physicalMs, path: path)
        } catch let error as StoreError {
            throw error
        } catch {
            if SQLiteStore.isDiskFull(error, path: path) {
                var configuration = SQLiteStore.configuration
                configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE") }
                if let queue = try? DatabaseQueue(path: path, configuration: configuration),
                    let store = try? DeviceStore(writer: queue, physicalMs: physicalMs, path: path, writesRefused: SQLiteStore.diskFull(path))
                {
                    self = store
                    return
                }
                throw SQLiteStore.diskFull(path)
            }
            throw StoreError(.file, "cannot open the database at \(path): \(SQLiteStore.describe(error)); check the path and its permissions")
        }
    }

    /// An in-memory database, for tests and benchmarks.
    public static func inMemory(physicalMs: @escaping @Sendable () -> Int64 = DeviceStore.systemMs) throws(StoreError) -> DeviceStore {
        do {
            return try DeviceStore(writer: DatabaseQueue(configuration: SQLiteStore.configuration), physicalMs: physicalMs)
        } catch let error as StoreError { throw error } catch { throw StoreError(.database, SQLiteStore.describe(error)) }
    }

    init(writer: any DatabaseWriter, physicalMs: @escaping @Sendable () -> Int64, path: String = "the database",
         writesRefused: StoreError? = nil) throws {
        self.writer = writer
        self.physicalMs = physicalMs
        self.writesRefused = writesRefused
        if writesRefused != nil {
            // Read as it is: a database that needs migrating or its first rows waits for space.
            guard try writer.read({ db in try Migrations.migrator(["replica", "device"]).hasCompletedMigrations(db) }) else {
                throw SQLiteStore.diskFull(path)
            }
            return
        }
        try Migrations.migrate(writer, ["replica", "device"], kind: "device", path: path)
        try writer.write { db in
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sync_state") == 0 {
                let node = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
                try db.execute(sql: "INSERT INTO sync_state (id, node_id) VALUES (1, ?)", arguments: [String(node)])
            }
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM partner") == 0 {
                try Self.insertPartners(db, try Self.bundledPartners())
            }
        }
    }

    /// Creates an empty database file readable by its owner only (it will hold the device's
    /// bearer token); SQLite gives the -wal and -shm files the same permissions.
    static func createPrivateFile(_ path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw StoreError(.file, "cannot create the database at \(path); check that its folder is writable")
        }
    }

    public static let systemMs: @Sendable () -> Int64 = SQLiteStore.systemMs

    /// The names of the migrations applied to this database, in order.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try read { db in try Migrations.migrator(["replica", "device"]).appliedMigrations(db) }
    }

    // MARK: - Transactions with errors wrapped

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try writer.read(body) } catch { throw SQLiteStore.wrap(error) }
    }

    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        if let writesRefused { throw writesRefused }
        do { return try writer.write(body) } catch { throw SQLiteStore.wrap(error) }
    }


}

extension DeviceStore {
    /// Every record's replicated state (registers without sequence numbers), keyed by
    /// `collection/recordId`.
    public func replicatedRecords() throws(StoreError) -> [String: RecordState] { try read(ReplicatedState.read) }
}
