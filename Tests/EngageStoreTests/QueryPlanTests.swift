import EngageCore
@testable import EngageHubSQLite
import EngageModel
import EngageStorage
import EngageTestSupport
import Foundation
import GRDB
import Testing

@testable import EngageStore

/// The hub's hot queries run the plans they were written for, on a hub file over several posts,
/// with statistics (ANALYZE) and without (a hub that never ran it; there SQLite's default
/// estimates chose to read the whole post and sort it): a plan that reads a whole post, or
/// sorts, would make an incremental sync cost the size of the hub. Checked through EXPLAIN QUERY
/// PLAN on the SQL the store itself runs.
@Suite struct QueryPlanTests {
    static func hub(analyzed: Bool) throws -> (HubStore, TemporaryDirectory) {
        let dir = try TemporaryDirectory()
        let store = try HubStore(path: dir.path("hub.sqlite"))
        var activities: [Activity] = []
        for (i, post) in ["LIMA", "QUITO", "BOGOTA", "NAIROBI"].enumerated() {
            for n in 0..<150 {
                var a = Activity.sample(id: UUID())
                a.post = post
                a.title = "Course \(i)-\(n)"
                activities.append(a)
            }
        }
        _ = try store.importActivities(activities)
        try store.write { db in
            try db.execute(sql: analyzed ? "ANALYZE" : "DROP TABLE IF EXISTS sqlite_stat1; ANALYZE sqlite_schema")
        }
        return (store, dir)
    }

    /// The plan's lines, e.g. "SEARCH field_state USING INDEX field_state_seq (seq>?)".
    static func plan(_ store: HubStore, _ sql: String) throws -> [String] {
        try store.read { db in
            let nulls = [DatabaseValue](repeating: .null, count: sql.filter { $0 == "?" }.count)
            return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(nulls)).map { $0["detail"] as String }
        }
    }

    static let devices: [DeviceRecord] = DeviceRecord.Role.allCases.map {
        DeviceRecord(id: "dev-\($0)", name: "\($0)", post: "LIMA", role: $0, nodeId: "node-\($0)", lastSeen: nil, revoked: false)
    }

    @Test(arguments: devices, [true, false])
    func pullReadsThroughTheSequenceIndexesWithoutSorting(_ device: DeviceRecord, analyzed: Bool) throws {
        let (store, dir) = try Self.hub(analyzed: analyzed)
        defer { dir.remove() }
        let (visible, _) = HubStore.visibility(for: device)
        let (fields, elements) = HubStore.remainingSQL(visible)
        for (table, sql) in [("field_state", HubStore.fieldPageSQL(visible)), ("element_state", HubStore.elementPageSQL(visible)),
                             ("field_state", fields), ("element_state", elements)] {
            let plan = try Self.plan(store, sql)
            #expect(plan.contains { $0.hasPrefix("SEARCH \(table) USING") && $0.contains("INDEX \(table)_seq (seq>?") },
                    "\(device.role): \(plan)")
            // The counts read a bounded subquery (its rows, through the index), not the table.
            #expect(!plan.contains { $0.contains("TEMP B-TREE") || ($0.hasPrefix("SCAN") && !$0.contains("subquery")) }, "\(device.role): \(plan)")
            // The post's activities are looked up once per statement, by the post index.
            if device.role == .advisor {
                #expect(plan.contains { $0.contains("activity USING COVERING INDEX activity_post") }, "\(plan)")
            }
        }
    }

    @Test(arguments: [true, false]) func pushLooksUpConflictsByStampThroughIndexes(analyzed: Bool) throws {
        let (store, dir) = try Self.hub(analyzed: analyzed)
        defer { dir.remove() }
        let plan = try Self.plan(store, HubStore.conflictsByStampSQL(count: 3))
        #expect(plan.contains { $0.contains("conflict USING INDEX conflict_current_stamp") }, "\(plan)")
        #expect(plan.contains { $0.contains("conflict USING INDEX conflict_other_stamp") }, "\(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN conflict") }, "\(plan)")
    }

    @Test func aSyncEndsWithoutScanningTheDevicesTables() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try DeviceStore(path: dir.path("device.sqlite"))
        let plan = try store.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + DeviceStore.syncPositionSQL).map { $0["detail"] as String }
        }
        // The partial index holds the open conflicts only: scanning it costs what the count shows.
        #expect(plan.contains { $0 == "SCAN conflict USING INDEX conflict_open" }, "\(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN") && !$0.hasSuffix("USING INDEX conflict_open") }, "\(plan)")
    }

    /// HQ paging reads from the cursor on through the primary key, whatever the filter: a page
    /// costs its rows, not the table (before, every page read all remaining activities).
    @Test(arguments: [true, false]) func hqPagesReadFromTheCursorThroughTheKey(analyzed: Bool) throws {
        let (store, dir) = try Self.hub(analyzed: analyzed)
        defer { dir.remove() }
        for extra in [[], ["kind = ?"], ["country = ?", "post = ?"]] {
            let plan = try Self.plan(store, HubStore.activityPageSQL(["deleted = 0", "id > ?"] + extra))
            #expect(plan.contains { $0.hasPrefix("SEARCH activity USING") && $0.contains("id>?)") }, "\(extra): \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") || $0.hasPrefix("SCAN") }, "\(extra): \(plan)")
        }
    }
}
