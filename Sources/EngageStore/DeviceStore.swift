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

    /// Opens (creating if needed) the database at `path` in WAL mode and migrates it.
    public init(path: String, physicalMs: @escaping @Sendable () -> Int64 = DeviceStore.systemMs) throws(StoreError) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Self.createPrivateFile(path)
            try self.init(writer: DatabasePool(path: path, configuration: Self.configuration), physicalMs: physicalMs, path: path)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.file, "cannot open the database at \(path): \(Self.describe(error)); check the path and its permissions")
        }
    }

    /// An in-memory database, for tests and benchmarks.
    public static func inMemory(physicalMs: @escaping @Sendable () -> Int64 = DeviceStore.systemMs) throws(StoreError) -> DeviceStore {
        do {
            return try DeviceStore(writer: DatabaseQueue(configuration: configuration), physicalMs: physicalMs)
        } catch let error as StoreError { throw error } catch { throw StoreError(.database, Self.describe(error)) }
    }

    init(writer: any DatabaseWriter, physicalMs: @escaping @Sendable () -> Int64, path: String = "the database") throws {
        self.writer = writer
        self.physicalMs = physicalMs
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
        do { return try writer.write(body) } catch { throw Self.wrap(error) }
    }

    static func wrap(_ error: any Error) -> StoreError {
        switch error {
        case let error as StoreError: error
        case let error as ModelError: StoreError(error)
        default: StoreError(.database, "the database failed: \(describe(error)); nothing was changed")
        }
    }

    /// GRDB hides bound arguments in descriptions, so no record contents leak into messages.
    static func describe(_ error: any Error) -> String {
        if let db = error as? DatabaseError { return db.message ?? db.resultCode.description }
        return String(describing: error)
    }
}
