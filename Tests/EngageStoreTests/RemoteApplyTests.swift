import EngageCore
import EngageHubSQLite
import EngageModel
import EngageStorage
import EngageStore
import EngageTestSupport
import Foundation
import Testing

/// The store merges remote changes through the same core as the in-memory replicas.
@Suite struct RemoteApplyTests {
    let clock = FakeClock()

    @Test func remoteWritesMergeLastWriterWinsAndDuplicatesChangeNothing() throws {
        let store = try DeviceStore.inMemory(physicalMs: clock.now)
        let a = try store.log(.sample())
        let id = a.id.uuidString.lowercased()
        let local = try #require(try store.stamp(collection: "activities", recordId: id, field: "title"))
        let older = Change(
            collection: "activities", recordId: id, field: "title", op: .set(.string("older")),
            stamp: HLC(wallMs: local.wallMs - 1, counter: 0, node: NodeID("other")!))
        let newer = Change(
            collection: "activities", recordId: id, field: "title", op: .set(.string("newer")),
            stamp: HLC(wallMs: local.wallMs + 1, counter: 0, node: NodeID("other")!))
        #expect(try store.applyRemote([older]) == 0)
        #expect(try store.activity(a.id).title == a.title)
        #expect(try store.applyRemote([newer]) == 1)
        #expect(try store.applyRemote([newer, older]) == 0)
        #expect(try store.activity(a.id).title == "newer")
        // The device clock observed the remote stamp: its next write is later still.
        try store.edit(a.id) { $0.notes = "after" }
        #expect(try store.stamp(collection: "activities", recordId: id, field: "notes")! > newer.stamp)
    }

    /// A change refused while its activity was out of the device's reach (no current value
    /// given), which the hub holds all the same (a copy of the database sent it first): when the
    /// very change comes back in a pull it is in force and no longer listed as refused. Another
    /// change under the same stamp (a copy's different value) stays refused.
    @Test func aRefusalTheHubTurnsOutToHoldIsForgotten() throws {
        let store = try DeviceStore.inMemory(physicalMs: clock.now)
        let a = try store.log(.sample())
        try store.edit(a.id) {
            $0.notes = "typed here"
            $0.title = "retitled"
        }
        let pending = try store.pendingChanges().map(\.change)
        let notes = try #require(pending.last { $0.field == "notes" })
        let title = try #require(pending.last { $0.field == "title" })
        let refusals = [notes, title].map { PushRejection(change: $0, code: "out_of_scope", message: "not one of yours") }
        try store.completePush(acknowledged: [], rejected: refusals, at: "now")
        #expect(try store.rejectedChanges().count == 2)
        let key = "activities/" + a.id.uuidString.lowercased()
        #expect(try store.replicatedRecords()[key]?.registers["notes"] == nil)
        var other = title
        other.op = .set(.string("a copy's title"))
        try store.applyRemote([notes, other])
        #expect(try store.replicatedRecords()[key]?.registers["notes"]?.value == .string("typed here"))
        #expect(try store.rejectedChanges().map(\.change) == [title])
    }

    /// A device enrolled at `hub` for Dar es Salaam, pushing its outbox straight to the store.
    func enrolled(_ hub: HubStore, _ name: String) throws -> (DeviceStore, DeviceRecord) {
        let device = try DeviceStore.inMemory(physicalMs: clock.now)
        try hub.createEnrolment(codeHash: name, name: name, post: "DAR-ES-SALAAM", role: .advisor, expiresAt: .max)
        let record = try hub.enroll(
            codeHash: name, deviceId: "dev-" + name, nodeId: try device.nodeID().rawValue, tokenHash: "t-" + name)
        return (device, record)
    }

    func sync(_ hub: HubStore, _ device: (DeviceStore, DeviceRecord)) throws {
        let pending = try device.0.pendingChanges()
        _ = try hub.push(Outbox.coalesce(pending.map(\.change)), from: device.1)
        try device.0.completePush(acknowledged: pending.map(\.seq), rejected: [], at: "now")
        let page = try hub.pull(after: try device.0.status().serverCursor, for: device.1, limit: 5_000, maxBytes: .max)
        try device.0.applyRemote(page.changes, cursor: page.cursor)
    }

    @Test func conflictsArriveAndAreSettledByANormalEdit() throws {
        let hub = try HubStore.inMemory(physicalMs: clock.now)
        let a = try enrolled(hub, "a")
        let b = try enrolled(hub, "b")
        let id = try a.0.log(.sample()).id
        try sync(hub, a)
        try sync(hub, b)
        try a.0.edit(id) { $0.title = "A" }
        clock.advance(1_000)
        try b.0.edit(id) { $0.title = "B" }
        try sync(hub, a)
        try sync(hub, b)
        let store = try DeviceStore.inMemory(physicalMs: clock.now)
        let page = try hub.pull(after: 0, for: b.1, limit: 5_000, maxBytes: .max)
        try store.applyRemote(page.changes, cursor: page.cursor)
        let conflict = try #require(try store.conflicts().first)
        #expect(conflict.field == "title" && conflict.other.value == .string("A") && conflict.current.value == .string("B"))
        #expect(throws: StoreError.self) { try store.resolve(conflict: "cffff", .keepOther) }
        #expect(throws: StoreError.self) { try store.resolve(conflict: conflict.id, .value("")) }  // an empty title is refused
        try store.resolve(conflict: String(conflict.id.prefix(8)), .keepOther)
        #expect(try store.activity(id).title == "A")
        #expect(try store.conflicts().isEmpty)
        let queued = try store.pendingChanges().map(\.change)
        #expect(queued.map(\.collection) == ["activities", "conflicts"])
        #expect(queued[0].base == (try store.conflicts(includeResolved: true).first?.current.stamp))
        // Settling it again had written the chosen value again, over what was typed since.
        try store.edit(id) { $0.title = "Typed after settling" }
        let again = #expect(throws: StoreError.self) { try store.resolve(conflict: conflict.id, .keepCurrent) }
        #expect(again?.message.contains("already settled") == true)
        #expect(try store.activity(id).title == "Typed after settling")
    }
}
