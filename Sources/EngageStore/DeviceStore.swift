import EngageCore
import EngageModel
import EngageResources
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
            try self.init(writer: DatabasePool(path: path, configuration: Self.configuration), physicalMs: physicalMs, path: path)
        } catch let error as StoreError {
            throw error
        } catch {
            if Self.isDiskFull(error, path: path) {
                var configuration = Self.configuration
                configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE") }
                if let queue = try? DatabaseQueue(path: path, configuration: configuration),
                    let store = try? DeviceStore(writer: queue, physicalMs: physicalMs, path: path, writesRefused: Self.diskFull(path))
                {
                    self = store
                    return
                }
                throw Self.diskFull(path)
            }
            throw StoreError(.file, "cannot open the database at \(path): \(Self.describe(error)); check the path and its permissions")
        }
    }

    /// An in-memory database, for tests and benchmarks.
    public static func inMemory(physicalMs: @escaping @Sendable () -> Int64 = DeviceStore.systemMs) throws(StoreError) -> DeviceStore {
        do {
            return try DeviceStore(writer: DatabaseQueue(configuration: configuration), physicalMs: physicalMs)
        } catch let error as StoreError { throw error } catch { throw StoreError(.database, Self.describe(error)) }
    }

    init(writer: any DatabaseWriter, physicalMs: @escaping @Sendable () -> Int64, path: String = "the database",
         writesRefused: StoreError? = nil) throws {
        self.writer = writer
        self.physicalMs = physicalMs
        self.writesRefused = writesRefused
        if writesRefused != nil {
            // Read as it is: a database that needs migrating or its first rows waits for space.
            guard try writer.read({ db in try Migrations.migrator(["replica", "device"]).hasCompletedMigrations(db) }) else {
                throw Self.diskFull(path)
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

    public static let systemMs: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }

    static var configuration: Configuration {
        var config = Configuration()
        config.busyMode = .timeout(10)
        return config
    }

    /// The names of the migrations applied to this database, in order.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try read { db in try Migrations.migrator(["replica", "device"]).appliedMigrations(db) }
    }

    // MARK: - Transactions with errors wrapped

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try writer.read(body) } catch { throw Self.wrap(error) }
    }

    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        if let writesRefused { throw writesRefused }
        do { return try writer.write(body) } catch { throw Self.wrap(error) }
    }

    static func wrap(_ error: any Error) -> StoreError {
        switch error {
        case let error as StoreError: error
        case let error as ModelError: StoreError(error)
        case let error as DatabaseError where error.resultCode.primaryResultCode == .SQLITE_FULL:
            StoreError(.diskFull, "the disk holding the database is full; nothing was changed — free some space, then try again (reading works meanwhile)")
        default: StoreError(.database, "the database failed: \(describe(error)); nothing was changed")
        }
    }

    /// Whether opening `path` failed for want of space: SQLite's "disk full", or an I/O error
    /// on a file system with no room left (its shared-memory file could not grow).
    static func isDiskFull(_ error: any Error, path: String) -> Bool {
        guard let error = error as? DatabaseError, FileManager.default.fileExists(atPath: path) else { return false }
        switch error.resultCode.primaryResultCode {
        case .SQLITE_FULL: return true
        case .SQLITE_IOERR: return freeBytes(path).map { $0 < 1 << 20 } ?? false
        default: return false
        }
    }

    /// Bytes free on the file system holding `path`, if known.
    static func freeBytes(_ path: String) -> Int64? {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return (try? FileManager.default.attributesOfFileSystem(forPath: folder))?[.systemFreeSize].flatMap { ($0 as? NSNumber)?.int64Value }
    }

    static func diskFull(_ path: String) -> StoreError {
        let free = freeBytes(path).map { " (\($0 / 1024) KiB free)" } ?? ""
        return StoreError(.diskFull, "the disk holding \(path) is full\(free); nothing was changed — free some space, then try again (reading works meanwhile)")
    }

    /// GRDB hides bound arguments in descriptions, so no record contents leak into messages.
    static func describe(_ error: any Error) -> String {
        if let db = error as? DatabaseError { return db.message ?? db.resultCode.description }
        return String(describing: error)
    }
}
