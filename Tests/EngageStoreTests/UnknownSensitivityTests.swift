import EngageCore
import EngageModel
import EngageStorage
import EngageStore
import EngageTestSupport
import Foundation
import GRDB
import Testing

/// Issue 22, kind 9: after a pull cut short, a device may hold an activity whose `sensitivity`
/// has not arrived. It is shown with its sensitivity or not at all, and never as shareable.
@Suite struct UnknownSensitivityTests {
    let clock = FakeClock()

    @Test func aRecordPulledWithoutItsSensitivityIsNeitherListedNorShareable() throws {
        let store = try DeviceStore.inMemory(physicalMs: clock.now)
        // Given a sensitive activity of which every field but `sensitivity` was pulled
        var secret = Activity.sample("Sensitive operation")
        secret.sensitivity = .sensitive
        var hq = HybridClock(node: NodeID("hub-writer")!)
        let changes = LocalEdit.changes(from: RecordState(), to: secret, clock: &hq, physicalMs: clock.now(), seen: 0)
        _ = try store.applyRemote(changes.filter { $0.field != "sensitivity" })
        // Then no listing shows it, shareable or not
        #expect(try store.activities().isEmpty)
        #expect(try store.activities(ActivityFilter(shareable: true)).isEmpty)
        #expect(throws: StoreError.self) { try store.activity(secret.id) }
        // When its sensitivity arrives, it is listed as sensitive and is still not shareable
        _ = try store.applyRemote(changes.filter { $0.field == "sensitivity" })
        #expect(try store.activities().map(\.sensitivity) == [.sensitive])
        #expect(try store.activities(ActivityFilter(shareable: true)).isEmpty)
        // And an unclassified one is shareable
        let open = try store.log(.sample("Open course"))
        #expect(try store.activities(ActivityFilter(shareable: true)).map(\.id) == [open.id])
    }

    /// A database projected by an earlier version gave such a record 'unclassified'; opening
    /// it with this version (replica/0008) hides it until its sensitivity arrives.
    @Test func rowsProjectedBeforeThisVersionFailClosedToo() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.path("device.sqlite")
        var secret = Activity.sample("Sensitive operation")
        secret.sensitivity = .sensitive
        do {
            let store = try DeviceStore(path: path, physicalMs: clock.now)
            var hq = HybridClock(node: NodeID("hub-writer")!)
            _ = try store.applyRemote(
                LocalEdit.changes(from: RecordState(), to: secret, clock: &hq, physicalMs: clock.now(), seen: 0)
                    .filter { $0.field != "sensitivity" })
            _ = try store.log(.sample("Open course"))
        }
        // Given the row as an earlier version left it, and that version's migrations
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "UPDATE activity SET sensitivity = 'unclassified'")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'replica/0008_unknown_sensitivity'")
        }
        try queue.close()
        // When this version opens it, then the record is neither listed nor shareable
        let store = try DeviceStore(path: path, physicalMs: clock.now)
        #expect(try store.activities().map(\.title) == ["Open course"])
        #expect(try store.activities(ActivityFilter(shareable: true)).map(\.title) == ["Open course"])
    }
}
