import EngageCore
import EngageModel
import EngageStorage
import Foundation
import GRDB

/// What the device's and the hub's SQLite stores share: the connection settings, errors
/// turned into `StoreError`s that say what to do, and typed rows read back.
package enum SQLiteStore {
    package static let systemMs: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }

    package static var configuration: Configuration {
        var config = Configuration()
        config.busyMode = .timeout(10)
        return config
    }

    /// Opens `path` in WAL mode. Processes opening a new database at once race to switch it to
    /// WAL: that switch needs an exclusive lock, and SQLite answers the loser "database is
    /// locked" at once instead of waiting (a shared lock is never upgraded while another holds
    /// one, whatever the busy timeout). The loser tries again, up to 5 times, a little later each.
    /// The file and its WAL and shared-memory files are made readable by their owner only,
    /// whatever mode an older version or a copy left them in (SQLite gives the WAL and
    /// shared-memory files the database file's mode when it makes them).
    package static func pool(_ path: String, configuration: Configuration) throws -> DatabasePool {
        var attempt = 1
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                ownerOnly(path, path + "-wal", path + "-shm")
                return pool
            } catch let error as DatabaseError where error.resultCode.primaryResultCode == .SQLITE_BUSY && attempt < 5 {
                Thread.sleep(forTimeInterval: 0.05 * Double(attempt))
                attempt += 1
            }
        }
    }

    /// Takes the group's and others' permissions off each file that exists: files holding
    /// activity data or secrets are readable by their owner only (docs/deployment.md).
    package static func ownerOnly(_ paths: String...) {
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0, info.st_mode & 0o077 != 0 else { continue }
            chmod(path, info.st_mode & 0o700)
        }
    }

    package static func wrap(_ error: any Error) -> StoreError {
        switch error {
        case let error as StoreError: error
        case let error as ModelError: StoreError(error)
        case let error as DatabaseError where error.resultCode.primaryResultCode == .SQLITE_FULL:
            StoreError(
                .diskFull,
                "the disk holding the database is full; nothing was changed — free some space, then try again (reading works meanwhile)"
            )
        default: StoreError(.database, "the database failed: \(describe(error)); nothing was changed")
        }
    }

    /// Whether opening `path` failed for want of space: SQLite's "disk full", or an I/O error
    /// on a file system with no room left (its shared-memory file could not grow).
    package static func isDiskFull(_ error: any Error, path: String) -> Bool {
        guard let error = error as? DatabaseError, FileManager.default.fileExists(atPath: path) else { return false }
        switch error.resultCode.primaryResultCode {
        case .SQLITE_FULL: return true
        case .SQLITE_IOERR: return freeBytes(path).map { $0 < 1 << 20 } ?? false
        default: return false
        }
    }

    /// Bytes free on the file system holding `path`, if known.
    package static func freeBytes(_ path: String) -> Int64? {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return (try? FileManager.default.attributesOfFileSystem(forPath: folder))?[.systemFreeSize].flatMap {
            ($0 as? NSNumber)?.int64Value
        }
    }

    package static func diskFull(_ path: String) -> StoreError {
        let free = freeBytes(path).map { " (\($0 / 1024) KiB free)" } ?? ""
        return StoreError(
            .diskFull,
            "the disk holding \(path) is full\(free); nothing was changed — free some space, then try again (reading works meanwhile)"
        )
    }

    /// GRDB hides bound arguments in descriptions, so no record contents leak into messages.
    package static func describe(_ error: any Error) -> String {
        if let db = error as? DatabaseError { return db.message ?? db.resultCode.description }
        return String(describing: error)
    }

    package static func fetchActivities(
        _ db: Database, where condition: String, _ args: [any DatabaseValueConvertible],
        orderBy order: String = "start_date, title, id"
    ) throws -> [Activity] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT \(activityColumns) FROM activity WHERE \(condition) ORDER BY \(order)",
            arguments: StatementArguments(args) ?? [])
        return rows.compactMap(activity(from:))
    }

    /// The typed row's columns in the order `activity(from:)` reads them by position: reading
    /// by name cost a case-insensitive lookup per column per row (a listing ran at 18× the raw read).
    package static let activityColumns =
        "id, kind, title, country, location, post, partners, goals, start_date, end_date, status, participants, notes, sensitivity, deleted, "
        + "other_countries, date_precision, amount"

    /// An activity from a row of `activityColumns`. The typed row holds values the model checked
    /// when they were merged; a row that no longer parses (written by a newer version) is skipped.
    package static func activity(from row: Row) -> Activity? {
        TypedRows.Activity(
            id: row[0], kind: row[1], title: row[2], country: row[3], location: row[4], post: row[5], partners: row[6],
            goals: row[7],
            startDate: row[8], endDate: row[9], status: row[10], participants: row[11], notes: row[12], sensitivity: row[13],
            deleted: row[14], otherCountries: row[15], datePrecision: row[16], amount: row[17]
        ).model
    }

    /// A partner from a row of code, name, country, agency_type, aliases.
    package static func partner(from row: Row) -> Partner? {
        guard let c = try? Country(row[2] as String) else { return nil }
        return Partner(code: row[0], name: row[1], country: c, agencyType: row[3], aliases: PartnerFields.aliases(row[4]))
    }
}
