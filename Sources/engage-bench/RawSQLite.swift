import EngageCore
import Foundation
import GRDBSQLite

/// The baseline: the same rows upserted with SQLite's C API and one prepared statement,
/// WAL mode, one transaction per batch. No merge, no metadata, no projection.
final class RawSQLite {
    private var db: OpaquePointer?
    private var statement: OpaquePointer?

    /// `synchronous`: NORMAL (a commit may be lost at a power cut) or FULL (what the hub uses).
    init(path: String, synchronous: String = "NORMAL") throws {
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw BenchError("cannot open \(path)") }
        try exec("PRAGMA journal_mode=WAL")
        try exec("PRAGMA synchronous=\(synchronous)")
        try exec("""
            CREATE TABLE field (collection TEXT NOT NULL, record_id TEXT NOT NULL, field TEXT NOT NULL, value,
              stamp TEXT NOT NULL, PRIMARY KEY (collection, record_id, field)) WITHOUT ROWID
            """)
        let sql = """
            INSERT INTO field (collection, record_id, field, value, stamp) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (collection, record_id, field) DO UPDATE SET value = excluded.value, stamp = excluded.stamp
            """
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else { throw BenchError("prepare failed") }
    }

    deinit {
        sqlite3_finalize(statement)
        sqlite3_close(db)
    }

    func upsert(_ changes: [Change]) throws {
        try exec("BEGIN IMMEDIATE")
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for c in changes {
            let field: String
            let value: String
            switch c.op {
            case .set(let v): field = c.field; value = v.description
            case .add(let e), .remove(let e, _): field = c.field + "/" + e; value = e
            }
            sqlite3_bind_text(statement, 1, c.collection, -1, transient)
            sqlite3_bind_text(statement, 2, c.recordId, -1, transient)
            sqlite3_bind_text(statement, 3, field, -1, transient)
            sqlite3_bind_text(statement, 4, value, -1, transient)
            sqlite3_bind_text(statement, 5, c.stamp.encoded, -1, transient)
            guard sqlite3_step(statement) == SQLITE_DONE else { throw BenchError("upsert failed") }
            sqlite3_reset(statement)
        }
        try exec("COMMIT")
    }

    /// Seconds to read every row of `activity` in `path` (read-only) with the C API, every
    /// column as text: the baseline of a report or a listing on the same rows.
    static func timeReadingActivities(path: String) throws -> Double {
        var db: OpaquePointer?, statement: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else { throw BenchError("cannot open \(path)") }
        defer { sqlite3_close(db) }
        let start = DispatchTime.now().uptimeNanoseconds
        guard sqlite3_prepare_v2(db, "SELECT * FROM activity", -1, &statement, nil) == SQLITE_OK else { throw BenchError("prepare failed") }
        defer { sqlite3_finalize(statement) }
        var bytes = 0
        while sqlite3_step(statement) == SQLITE_ROW {
            for column in 0..<sqlite3_column_count(statement) {
                if let text = sqlite3_column_text(statement, column) { bytes += strlen(text) }
            }
        }
        guard bytes > 0 else { throw BenchError("no activity rows in \(path)") }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    private func exec(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw BenchError("\(sql) failed") }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
