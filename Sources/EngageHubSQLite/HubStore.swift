import EngageCore
import EngageModel
import EngageReplica
import EngageStorage
import Foundation
import GRDB

/// The server's database: the hub replica plus devices, enrolment codes and the change log.
/// Each public method is one transaction; the server answers only after it has committed.
public struct HubStore: Sendable {
    let writer: any DatabaseWriter
    /// The server's physical clock in ms; injected so recorded sessions replay.
    let physicalMs: @Sendable () -> Int64
    public static let node = HubRules.node
    /// This database's generation: made when it is created, and anew each time a backup copy
    /// (`snapshot(to:)`) is opened, so devices notice a hub restored from a backup.
    public private(set) var generation: String
    /// The register rule of every merge: last writer wins (`Merge.register`). Replaceable so a
    /// test can stand up a hub that merges differently and show a replay notices.
    public var registerRule: @Sendable (Register?, FieldValue, HLC) -> Register? = { Merge.register($0, $1, stamp: $2) }

    /// Opens (creating and migrating) the server database at `path`, in WAL mode.
    public init(path: String, physicalMs: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) })
        throws(StoreError)
    {
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            try self.init(writer: SQLiteStore.pool(path, configuration: Self.configuration), physicalMs: physicalMs, path: path)
        } catch let error as StoreError { throw error } catch {
            throw StoreError(
                .file,
                "cannot open the server database at \(path): \(SQLiteStore.describe(error)); check the path and its permissions")
        }
    }

    public static func inMemory(physicalMs: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) })
        throws(StoreError) -> HubStore
    {
        do { return try HubStore(writer: DatabaseQueue(configuration: configuration), physicalMs: physicalMs) } catch {
            throw SQLiteStore.wrap(error)
        }
    }

    init(writer: any DatabaseWriter, physicalMs: @escaping @Sendable () -> Int64, path: String = "the database") throws {
        self.writer = writer
        self.physicalMs = physicalMs
        try Migrations.migrate(writer, ["replica", "hub"], kind: "server", path: path)
        if try writer.read({ db in try !db.tableExists("sqlite_stat1") }) { try Self.analyze(writer) }
        generation = try writer.write { db in
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sync_state") == 0 {
                try db.execute(sql: "INSERT INTO sync_state (id, node_id) VALUES (1, ?)", arguments: [Self.node.rawValue])
            }
            if let generation = try String.fetchOne(db, sql: "SELECT hub_generation FROM sync_state WHERE id = 1") {
                return generation
            }
            let generation = Self.newGeneration()
            try db.execute(sql: "UPDATE sync_state SET hub_generation = ? WHERE id = 1", arguments: [generation])
            return generation
        }
    }

    /// The hub commits durably before it answers: in WAL mode, `synchronous = FULL` syncs the
    /// log at every commit, so a power cut cannot take back a push a device was told is stored.
    static var configuration: Configuration {
        var config = SQLiteStore.configuration
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        return config
    }

    static func newGeneration() -> String { UUID().uuidString.lowercased() }

    /// Takes `generation` as this database's: a replay of a recorded session runs against the
    /// generation the recorded devices saw.
    public mutating func adoptGeneration(_ generation: String) throws(StoreError) {
        try write { db in try db.execute(sql: "UPDATE sync_state SET hub_generation = ? WHERE id = 1", arguments: [generation]) }
        self.generation = generation
    }

    /// Gives SQLite's planner fresh statistics (ANALYZE, sampling at most 1,000 rows per index, so
    /// it takes milliseconds on any size): at the first open and after bulk loads. Without them its
    /// default estimates chose plans that read a whole post and sort it.
    public func refreshStatistics() throws(StoreError) {
        do { try Self.analyze(writer) } catch { throw SQLiteStore.wrap(error) }
    }

    static func analyze(_ writer: any DatabaseWriter) throws {
        try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA analysis_limit = 1000; ANALYZE") }
    }

    public func appliedMigrations() throws(StoreError) -> [String] {
        try read { db in try Migrations.migrator(["replica", "hub"]).appliedMigrations(db) }
    }

    /// The sequence number of the latest change: what a fully caught-up cursor reads.
    public func cursor() throws(StoreError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT local_seq FROM sync_state WHERE id = 1") ?? 0 }
    }

    /// The latest mark of the change sequence, `SEQ.MARK` (`schema/hub/0010_sequence_marks.sql`).
    public func checkpoint() throws(StoreError) -> String? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT seq, mark FROM sequence_mark ORDER BY seq DESC LIMIT 1")
                .map { "\($0[0] as Int64).\($0[1] as String)" }
        }
    }

    /// Whether this database holds `checkpoint`, a mark it gave before.
    public func holds(checkpoint: String) throws(StoreError) -> Bool {
        guard let (seq, mark) = HubCheckpoint.parse(checkpoint) else { return false }
        return try read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM sequence_mark WHERE seq = ? AND mark = ?", arguments: [seq, mark]) ?? false
        }
    }

    /// Which of the activities `ids` the device `deviceId` has written to.
    public func activities(writtenBy deviceId: String, among ids: [String]) throws(StoreError) -> Set<String> {
        try read { db in
            var written: Set<String> = []
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = Array(ids[start..<min(start + 500, ids.count)])
                written.formUnion(
                    try String.fetchAll(
                        db,
                        sql: "SELECT DISTINCT record_id FROM change_log WHERE device_id = ? AND collection = 'activities' "
                            + "AND record_id IN (\(databaseQuestionMarks(count: chunk.count)))",
                        arguments: StatementArguments([deviceId] + chunk)))
            }
            return written
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try writer.read(body) } catch { throw SQLiteStore.wrap(error) }
    }

    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try writer.write(body) } catch { throw SQLiteStore.wrap(error) }
    }
}

extension HubStore {
    /// Writes a consistent copy of the database to `path` (SQLite's VACUUM INTO). A backup
    /// (`asBackup`) leaves the copy without a generation: each time it is opened as a hub — each
    /// restore — it takes a new one, so devices whose cursor belongs to the lost history notice.
    /// Without `asBackup` the copy keeps this generation: the server state a device transcript
    /// will later replay against.
    public func snapshot(to path: String, asBackup: Bool = true) throws(StoreError) {
        do {
            try writer.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
            guard asBackup else { return }
            let copy = try DatabaseQueue(path: path)
            try copy.write { db in try db.execute(sql: "UPDATE sync_state SET hub_generation = NULL WHERE id = 1") }
            try copy.close()
        } catch {
            throw SQLiteStore.wrap(error)
        }
    }
}

extension HubStore {
    /// Every record's replicated state (registers without sequence numbers), keyed by
    /// `collection/recordId`.
    public func replicatedRecords() throws(StoreError) -> [String: RecordState] { try read(ReplicatedState.read) }
}
