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

    package static func wrap(_ error: any Error) -> StoreError {
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
        return (try? FileManager.default.attributesOfFileSystem(forPath: folder))?[.systemFreeSize].flatMap { ($0 as? NSNumber)?.int64Value }
    }

    package static func diskFull(_ path: String) -> StoreError {
        let free = freeBytes(path).map { " (\($0 / 1024) KiB free)" } ?? ""
        return StoreError(.diskFull, "the disk holding \(path) is full\(free); nothing was changed — free some space, then try again (reading works meanwhile)")
    }

    /// GRDB hides bound arguments in descriptions, so no record contents leak into messages.
    package static func describe(_ error: any Error) -> String {
        if let db = error as? DatabaseError { return db.message ?? db.resultCode.description }
        return String(describing: error)
    }

    package static func fetchActivities(
        _ db: Database, where condition: String, _ args: [any DatabaseValueConvertible], orderBy order: String = "start_date, title, id"
    ) throws -> [Activity] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT \(activityColumns) FROM activity WHERE \(condition) ORDER BY \(order)", arguments: StatementArguments(args) ?? [])
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
        guard let uuid = UUID(uuidString: row[0]), let kind = ActivityKind(rawValue: row[1]),
            let country = try? Country(row[3] as String), let start = try? Day(row[8] as String, field: "startDate"),
            let status = ActivityStatus(rawValue: row[10]), let sensitivity = Sensitivity(rawValue: row[13])
        else { return nil }
        var goals = Set<StrategicGoal>()
        for g in stringArray(row[7]) {
            guard let n = Int(g), let goal = StrategicGoal(rawValue: n) else { return nil }
            goals.insert(goal)
        }
        var endDate: Day?
        if let end = row[9] as String? {
            guard let day = try? Day(end, field: "endDate") else { return nil }
            endDate = day
        }
        var others = Set<Country>()
        for code in stringArray(row[15]) {
            guard let c = try? Country(code) else { return nil }
            others.insert(c)
        }
        guard let precision = DatePrecision(rawValue: row[16]) else { return nil }
        var amount: Amount?
        if let text = row[17] as String? {
            guard let a = try? Amount(text) else { return nil }
            amount = a
        }
        return Activity(
            id: uuid, kind: kind, title: row[2], country: country, otherCountries: others, location: row[4], post: row[5],
            partners: Set(stringArray(row[6])), goals: goals, startDate: start, endDate: endDate, datePrecision: precision, status: status,
            participants: (row[11] as Int64?).map { Int($0) }, amount: amount, notes: row[12], sensitivity: sensitivity, deleted: row[14])
    }

    /// The elements of a typed row's JSON array column (`["SUNAT","WCO"]`, `[1,3]`) as strings.
    /// Without a backslash no element can hold a quote, so splitting on the separators is exact;
    /// anything else goes to Foundation's parser. A per-row JSONDecoder made listing 7× slower
    /// than reading the rows.
    package static func stringArray(_ json: String?) -> [String] {
        guard let json, json.utf8.count > 2 else { return [] }
        let fast: [String]? = json.utf8.withContiguousStorageIfAvailable { b in
            let n = b.count
            guard b[0] == 0x5B, b[n - 1] == 0x5D, !b.contains(0x5C) else { return nil }  // [ … ], no backslash
            var out: [String] = []
            if b[1] == 0x22 {  // ["a","b"]: every quote delimits, elements are separated by `","`
                var i = 2
                while i < n - 1 {
                    var j = i
                    while j < n - 1, b[j] != 0x22 { j += 1 }
                    guard j < n - 1 else { return nil }
                    out.append(String(decoding: UnsafeBufferPointer(rebasing: b[i..<j]), as: UTF8.self))
                    i = j + 3
                }
            } else {  // [1,3]
                var i = 1
                while i < n - 1 {
                    var j = i
                    while j < n - 1, b[j] != 0x2C { j += 1 }
                    out.append(String(decoding: UnsafeBufferPointer(rebasing: b[i..<j]), as: UTF8.self).filter { $0 != " " })
                    i = j + 1
                }
            }
            return out
        } ?? nil
        if let fast { return fast }
        let parsed = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [Any] ?? []
        return parsed.map { "\($0)" }
    }

    /// A partner from a row of code, name, country, agency_type, aliases.
    package static func partner(from row: Row) -> Partner? {
        guard let c = try? Country(row[2] as String) else { return nil }
        return Partner(code: row[0], name: row[1], country: c, agencyType: row[3], aliases: PartnerFields.aliases(row[4]))
    }
}
