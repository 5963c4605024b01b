import EngageCore
import EngageModel
import EngageTestSupport
import Foundation
import Testing

/// The replication rules, one scenario each, through an in-memory hub and devices.
@Suite struct ScenarioTests {
    let id = UUID()

    /// Two devices that both hold the activity.
    func cluster(_ names: [String] = ["device-a", "device-b"]) -> Cluster {
        var c = Cluster(devices: names)
        c.write(names[0], .sample(id: id))
        for name in names { c.sync(name) }
        return c
    }

    func conflicts(_ c: Cluster, _ device: String) -> [Conflict] { c.devices[device]!.openConflicts.map(\.conflict) }

    @Test func offlineEditsOfDifferentFieldsAreBothKept() {
        var c = cluster()
        c.edit("device-a", id) { $0.title = "Canine training, phase 2" }
        c.edit("device-b", id) { $0.participants = 20 }
        c.sync("device-a"); c.sync("device-b"); c.sync("device-a")
        for d in ["device-a", "device-b"] {
            #expect(c.activity(d, id)?.title == "Canine training, phase 2")
            #expect(c.activity(d, id)?.participants == 20)
            #expect(conflicts(c, d).isEmpty)
        }
    }

    @Test func sameFieldGivesOneWinnerEverywhereAndExactlyOneConflict() {
        var c = cluster(["device-a", "device-b", "device-c"])
        c.edit("device-a", id) { $0.title = "From A" }
        c.advance(1_000)
        c.edit("device-b", id) { $0.title = "From B" }
        c.sync("device-b"); c.sync("device-a"); c.sync("device-b"); c.sync("device-c")
        for d in ["device-a", "device-b", "device-c"] {
            #expect(c.activity(d, id)?.title == "From B")  // the later stamp wins
            let open = conflicts(c, d)
            #expect(open.count == 1)
            #expect(open.first?.current.value == .string("From B") && open.first?.other.value == .string("From A"))
            #expect(open.first?.other.author == NodeID("device-a"))
        }
        #expect(c.hub.conflictsRaised == 1)
    }

    @Test func resolvingAConflictIsANormalEditThatClosesIt() {
        var c = cluster()
        c.edit("device-a", id) { $0.title = "From A" }
        c.edit("device-b", id) { $0.title = "From B" }
        c.sync("device-a"); c.sync("device-b"); c.sync("device-a")
        let conflictID = c.devices["device-a"]!.openConflicts[0].id
        c.resolve("device-a", conflictID: conflictID, value: .string("Agreed title"))
        c.sync("device-a"); c.sync("device-b")
        for d in ["device-a", "device-b"] {
            #expect(c.activity(d, id)?.title == "Agreed title")
            #expect(conflicts(c, d).isEmpty)
        }
        #expect(c.hub.conflictsRaised == 1)  // the settling edit raised none
    }

    @Test func aDeviceDaysAheadDoesNotBeatALaterEditMadeAfterSeeingIt() {
        var c = cluster()
        c.clocks["device-a"]! += 3 * 86_400_000  // device A's clock is 3 days ahead
        c.edit("device-a", id) { $0.notes = "A, three days ahead" }
        c.sync("device-a")
        c.advance(60_000)
        c.sync("device-b")  // B pulls A's edit
        c.edit("device-b", id) { $0.notes = "B, later" }
        c.sync("device-b"); c.sync("device-a")
        #expect(c.activity("device-a", id)?.notes == "B, later")
        #expect(c.activity("device-b", id)?.notes == "B, later")
        #expect(conflicts(c, "device-a").isEmpty)
    }

    @Test func concurrentPartnerAdditionsAreBothKept() {
        var c = cluster()
        c.edit("device-a", id) { $0.partners.insert("TPA") }
        c.edit("device-b", id) { $0.partners.insert("TPF") }
        c.sync("device-a"); c.sync("device-b"); c.sync("device-a")
        #expect(c.activity("device-a", id)?.partners == ["TRA", "TPA", "TPF"])
        #expect(c.activity("device-b", id)?.partners == ["TRA", "TPA", "TPF"])
    }

    @Test func deleteVersusEditRaisesAConflictKeepsFieldsAndCanBeRestored() {
        var c = cluster()
        c.edit("device-a", id) { $0.deleted = true }
        c.edit("device-b", id) { $0.status = .completed }
        c.sync("device-a"); c.sync("device-b"); c.sync("device-a")
        let a = c.activity("device-a", id)
        #expect(a?.deleted == true)
        #expect(a?.status == .completed && a?.title == "Canine training")  // the tombstone keeps every field
        let open = conflicts(c, "device-a")
        #expect(open.count == 1 && open.first?.field == "deleted")
        c.resolve("device-b", conflictID: c.devices["device-b"]!.openConflicts[0].id, value: .bool(false))
        c.sync("device-b"); c.sync("device-a")
        #expect(c.activity("device-a", id)?.deleted == false)
        #expect(conflicts(c, "device-a").isEmpty)
    }

    @Test func deleteArrivingAfterAnUnseenEditAlsoConflicts() {
        var c = cluster()
        c.edit("device-b", id) { $0.notes = "edited" }
        c.edit("device-a", id) { $0.deleted = true }
        c.sync("device-b"); c.sync("device-a")
        #expect(conflicts(c, "device-a").map(\.field) == ["deleted"])
    }

    @Test func aRetriedPushChangesNothing() {
        var c = cluster()
        c.edit("device-a", id) { $0.title = "Once" }
        let pushed = c.push("device-a")
        let before = c.hub.replica.comparable, cursor = c.hub.cursor
        _ = c.hub.push(pushed, physicalMs: c.hubMs)
        _ = c.hub.push(Array(pushed.reversed().prefix(3)), physicalMs: c.hubMs)
        #expect(c.hub.replica.comparable == before && c.hub.cursor == cursor && c.hub.conflictsRaised == 0)
    }

    @Test func overwritingOwnUnsyncedTextRaisesNoConflict() {
        var c = cluster()
        c.edit("device-a", id) { $0.title = "Draft" }
        c.edit("device-a", id) { $0.title = "Final" }
        c.sync("device-a"); c.sync("device-b")
        #expect(c.activity("device-b", id)?.title == "Final")
        #expect(c.hub.conflictsRaised == 0)
    }
}
