import EngageCore
import EngageModel
import EngageStore
import EngageTestSupport
import Foundation
import Testing

/// The store merges remote changes through the same core as the in-memory replicas.
@Suite struct RemoteApplyTests {
    let clock = FakeClock()

    @Test func storeAndMemoryReplicaAgreeAfterARandomSchedule() throws {
        for seed: UInt64 in [3, 11, 29, 101, 907] {
            var sim = Simulation(seed: seed)
            sim.runSteps(60)
            let store = try DeviceStore.inMemory(physicalMs: clock.now)
            let page = sim.hub.pull(after: 0)
            // Given the hub's state delivered in two batches, one duplicated
            let half = page.changes.count / 2
            try store.applyRemote(Array(page.changes[..<half]), cursor: 1)
            try store.applyRemote(Array(page.changes[half...]), cursor: page.cursor)
            try store.applyRemote(Array(page.changes[..<half]))
            // Then the typed rows equal the hub's activities and the conflicts match
            let expected = sim.hub.replica.records.keys.filter { $0.collection == ActivityFields.collection }
                .compactMap { sim.hub.replica.activity($0.recordId) }.sorted { $0.id.uuidString < $1.id.uuidString }
            let actual = try store.activities(ActivityFilter(includeDeleted: true)).sorted { $0.id.uuidString < $1.id.uuidString }
            #expect(actual == expected, "seed \(seed)")
            #expect(try store.conflicts().map(\.id).sorted() == sim.hub.replica.openConflicts.map(\.id).sorted(), "seed \(seed)")
            #expect(try store.status().serverCursor == page.cursor)
            #expect(try store.pendingChanges().isEmpty)  // remote changes are not queued
        }
    }

    @Test func remoteWritesMergeLastWriterWinsAndDuplicatesChangeNothing() throws {
        let store = try DeviceStore.inMemory(physicalMs: clock.now)
        let a = try store.log(.sample())
        let id = a.id.uuidString.lowercased()
        let local = try #require(try store.stamp(collection: "activities", recordId: id, field: "title"))
        let older = Change(collection: "activities", recordId: id, field: "title", op: .set(.string("older")),
                           stamp: HLC(wallMs: local.wallMs - 1, counter: 0, node: NodeID("other")!))
        let newer = Change(collection: "activities", recordId: id, field: "title", op: .set(.string("newer")),
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

    @Test func conflictsArriveAndAreSettledByANormalEdit() throws {
        var cluster = Cluster(devices: ["device-a", "device-b"])
        let id = UUID()
        cluster.write("device-a", .sample(id: id))
        cluster.sync("device-a"); cluster.sync("device-b")
        cluster.edit("device-a", id) { $0.title = "A" }
        cluster.edit("device-b", id) { $0.title = "B" }
        cluster.sync("device-a"); cluster.sync("device-b")
        let store = try DeviceStore.inMemory(physicalMs: clock.now)
        let page = cluster.hub.pull(after: 0)
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
    }
}
