import EngageCore
import EngageModel
import EngageReplica
import EngageStorage
import EngageTestSupport
import Foundation
import GRDB
import PostgresNIO
import Testing

@testable import EngageHubPostgres
@testable import EngageStore

/// PostgreSQL's replicated write path (state loaded, merged in `MemoryReplica`, rows written
/// back, one transaction per batch) leaves exactly the rows SQLite's `ReplicaWriter` leaves:
/// values, stamps, tags, removals and sequence numbers, on random schedules.
@Suite(.enabled(if: HubKind.available.contains(.postgres))) struct ReplicaConformanceTests {
    @Test(arguments: 0..<8) func postgresWritesTheSameRowsAsSQLite(_ seed: UInt64) async throws {
        let (url, drop) = try await TestHub.freshDatabase()
        let hub = try await PostgresHub.open(url: url, logger: TestHub.quiet)
        let sqlite = try DeviceStore.inMemory()
        var applied = (sqlite: 0, postgres: 0)
        for batch in ReplicaSchedule.batches(seed: seed) {
            applied.sqlite += try sqlite.applyRemote(batch)
            applied.postgres += try await hub.applyReplicated(batch)
        }
        let expected = try sqlite.read { db in
            (try Row.fetchAll(db, sql: "SELECT record_id, field, value_type, value, stamp, seq FROM field_state WHERE collection = 'tests' ORDER BY seq, record_id, field")
                .map { "\($0[0] as String) \($0[1] as String) \(FieldValue(sqlType: $0[2], value: $0[3]).jsonText) \($0[4] as String) \($0[5] as Int64)" },
             try Row.fetchAll(db, sql: "SELECT record_id, field, element, tag, removed, seq FROM element_state WHERE collection = 'tests' ORDER BY seq, tag")
                .map { "\($0[0] as String) \($0[1] as String) \($0[2] as String) \($0[3] as String) \(($0[4] as String?) ?? "-") \($0[5] as Int64)" },
             try Int64.fetchOne(db, sql: "SELECT local_seq FROM sync_state") ?? -1)
        }
        var fields: [String] = [], elements: [String] = [], seq: Int64 = -1
        let fieldRows = try await hub.client.query(
            "SELECT record_id, field, value, stamp, seq FROM field_state WHERE collection = 'tests' ORDER BY seq, record_id, field", logger: TestHub.quiet)
        for try await (record, field, value, stamp, s) in fieldRows.decode((String, String, String, String, Int64).self) {
            fields.append("\(record) \(field) \(value) \(stamp) \(s)")
        }
        let elementRows = try await hub.client.query(
            "SELECT record_id, field, element, tag, removed, seq FROM element_state WHERE collection = 'tests' ORDER BY seq, tag", logger: TestHub.quiet)
        for try await (record, field, element, tag, removed, s) in elementRows.decode((String, String, String, String, String?, Int64).self) {
            elements.append("\(record) \(field) \(element) \(tag) \(removed ?? "-") \(s)")
        }
        for try await s in try await hub.client.query("SELECT local_seq FROM hub_state", logger: TestHub.quiet).decode(Int64.self) { seq = s }
        await hub.close()
        await drop()
        #expect(fields == expected.0)
        #expect(elements == expected.1)
        #expect(seq == expected.2 && applied.sqlite == applied.postgres)
        #expect(!fields.isEmpty && !elements.isEmpty)
    }

    /// Activities written on a device (created, edited, partners added and removed, deleted and
    /// restored) project to the same typed rows on PostgreSQL as on SQLite.
    @Test func activitiesProjectToTheSameRows() async throws {
        let clock = FakeClock()
        let author = try DeviceStore.inMemory(physicalMs: clock.now)
        var rng = SeededRandom(seed: 13)
        var ids: [UUID] = []
        for i in 0..<30 {
            var a = Activity.sample("Course \(i) \"quoted\" é")
            a.partners = Set(["SUNAT", "WCO", "DEVIDA"].filter { _ in rng.next() % 2 == 0 })
            if i % 3 == 0 { a.participants = nil }
            ids.append(try author.log(a).id)
            clock.advance(1_000)
        }
        for (i, id) in ids.enumerated() where i % 2 == 0 {
            try author.edit(id) { a in
                a.notes = "edited \(i)"
                a.partners = i % 4 == 0 ? [] : ["WCO"]
                a.participants = Int(rng.next() % 40)
            }
            clock.advance(1_000)
        }
        try author.delete(ids[1])
        try author.delete(ids[2])
        clock.advance(1_000)
        try author.restore(ids[2])
        let changes = try author.pendingChanges().map(\.change)

        let (url, drop) = try await TestHub.freshDatabase()
        let hub = try await PostgresHub.open(url: url, logger: TestHub.quiet)
        let sqlite = try DeviceStore.inMemory()
        var start = 0
        while start < changes.count {
            let end = min(changes.count, start + 1 + Int(rng.next() % 80))
            _ = try sqlite.applyRemote(Array(changes[start..<end]))
            _ = try await hub.applyReplicated(Array(changes[start..<end]))
            start = end
        }
        let columns = "id, kind, title, country, location, post, partners, goals, start_date, end_date, status, participants, notes, sensitivity, "
            + "other_countries, date_precision, amount"
        let expected = try sqlite.read { db in
            try Row.fetchAll(db, sql: "SELECT \(columns), deleted FROM activity ORDER BY id").map { row in
                (0..<17).map { (row[$0] as DatabaseValue).storage.value.map { "\($0)" } ?? "nil" }.joined(separator: "|") + "|\(row[17] as Bool)"
            }
        }
        var rows: [String] = []
        let found = try await hub.client.query(
            PostgresQuery(unsafeSQL: "SELECT \(columns.replacingOccurrences(of: "participants", with: "participants::text")), deleted FROM activity ORDER BY id"),
            logger: TestHub.quiet)
        for try await row in found {
            var cells: [String] = []
            for cell in row { cells.append(cell.bytes == nil ? "nil" : (try cell.decode(String.self))) }
            let deleted = try row.decode((String?, String?, String?, String?, String?, String?, String?, String?, String?, String?, String?, String?, String?, String?, String?, String?, String?, Bool).self).17
            rows.append(cells.dropLast().joined(separator: "|") + "|\(deleted)")
        }
        await hub.close()
        await drop()
        #expect(rows.count == 30)
        #expect(rows == expected)
    }
}
