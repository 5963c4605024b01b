import EngageClient
import EngageCore
import EngageHubSQLite
import EngageModel
import EngageStorage
import EngageStore
import EngageTestSupport
import Foundation
import Testing

/// The replication rules, one scenario each, on the shipped stack: real stores, client and
/// request handlers.
@Suite struct ScenarioTests {
    /// Two or three devices of one post that all hold the activity.
    static func withActivity(
        _ names: [String] = ["a", "b"], _ body: @escaping @Sendable (Stack, [StackDevice], UUID) async throws -> Void
    ) async throws {
        try await Stack.run { stack in
            var devices: [StackDevice] = []
            for name in names { devices.append(try await stack.device(name, post: "DAR-ES-SALAAM")) }
            let id = try devices[0].store.log(.sample()).id
            for d in devices { try await d.sync() }
            try await body(stack, devices, id)
        }
    }

    static func hubConflicts(_ stack: Stack) throws -> Int {
        try stack.hub.store.replicatedRecords().keys.filter { $0.hasPrefix("conflicts/") }.count
    }

    @Test func offlineEditsOfDifferentFieldsAreBothKept() async throws {
        try await Self.withActivity { stack, d, id in
            try d[0].store.edit(id) { $0.title = "Canine training, phase 2" }
            try d[1].store.edit(id) { $0.participants = 20 }
            try await d[0].sync(); try await d[1].sync(); try await d[0].sync()
            for device in d {
                #expect(try device.activity(id)?.title == "Canine training, phase 2")
                #expect(try device.activity(id)?.participants == 20)
                #expect(try device.store.conflicts().isEmpty)
            }
        }
    }

    @Test func sameFieldGivesOneWinnerEverywhereAndExactlyOneConflict() async throws {
        try await Self.withActivity(["a", "b", "c"]) { stack, d, id in
            try d[0].store.edit(id) { $0.title = "From A" }
            stack.advance(1_000)
            try d[1].store.edit(id) { $0.title = "From B" }
            try await d[1].sync(); try await d[0].sync(); try await d[1].sync(); try await d[2].sync()
            for device in d {
                #expect(try device.activity(id)?.title == "From B")  // the later stamp wins
                let open = try device.store.conflicts()
                #expect(open.count == 1)
                #expect(open.first?.current.value == .string("From B") && open.first?.other.value == .string("From A"))
                #expect(open.first?.other.author == (try d[0].store.nodeID()))
            }
            #expect(try Self.hubConflicts(stack) == 1)
        }
    }

    @Test func resolvingAConflictIsANormalEditThatClosesIt() async throws {
        try await Self.withActivity { stack, d, id in
            try d[0].store.edit(id) { $0.title = "From A" }
            try d[1].store.edit(id) { $0.title = "From B" }
            try await d[0].sync(); try await d[1].sync(); try await d[0].sync()
            let conflict = try #require(try d[0].store.conflicts().first)
            _ = try d[0].store.resolve(conflict: conflict.id, .value("Agreed title"))
            try await d[0].sync(); try await d[1].sync()
            for device in d {
                #expect(try device.activity(id)?.title == "Agreed title")
                #expect(try device.store.conflicts().isEmpty)
            }
            #expect(try Self.hubConflicts(stack) == 1)  // the settling edit raised none
        }
    }

    @Test func aDeviceDaysAheadDoesNotBeatALaterEditMadeAfterSeeingIt() async throws {
        try await Self.withActivity { stack, d, id in
            d[0].skew(3 * 86_400_000)  // device A's clock is 3 days ahead
            try d[0].store.edit(id) { $0.notes = "A, three days ahead" }
            try await d[0].sync()
            stack.advance(60_000)
            try await d[1].sync()  // B pulls A's edit
            try d[1].store.edit(id) { $0.notes = "B, later" }
            try await d[1].sync(); try await d[0].sync()
            #expect(try d[0].activity(id)?.notes == "B, later")
            #expect(try d[1].activity(id)?.notes == "B, later")
            #expect(try d[0].store.conflicts().isEmpty)
        }
    }

    @Test func concurrentPartnerAdditionsAreBothKept() async throws {
        try await Self.withActivity { stack, d, id in
            try d[0].store.edit(id) { $0.partners.insert("TPA") }
            try d[1].store.edit(id) { $0.partners.insert("TPF") }
            try await d[0].sync(); try await d[1].sync(); try await d[0].sync()
            for device in d { #expect(try device.activity(id)?.partners == ["TRA", "TPA", "TPF"]) }
        }
    }

    @Test func deleteVersusEditRaisesAConflictKeepsFieldsAndCanBeRestored() async throws {
        try await Self.withActivity { stack, d, id in
            try d[0].store.delete(id)
            try d[1].store.edit(id) { $0.status = .completed }
            try await d[0].sync(); try await d[1].sync(); try await d[0].sync()
            let a = try d[0].activity(id)
            #expect(a?.deleted == true)
            #expect(a?.status == .completed && a?.title == "Canine training")  // the tombstone keeps every field
            let open = try d[0].store.conflicts()
            #expect(open.count == 1 && open.first?.field == "deleted")
            _ = try d[1].store.resolve(conflict: try #require(try d[1].store.conflicts().first).id, .value("false"))
            try await d[1].sync(); try await d[0].sync()
            #expect(try d[0].activity(id)?.deleted == false)
            #expect(try d[0].store.conflicts().isEmpty)
        }
    }

    @Test func deleteArrivingAfterAnUnseenEditAlsoConflicts() async throws {
        try await Self.withActivity { stack, d, id in
            try d[1].store.edit(id) { $0.notes = "edited" }
            try d[0].store.delete(id)
            try await d[1].sync(); try await d[0].sync()
            #expect(try d[0].store.conflicts().map(\.field) == ["deleted"])
        }
    }

    @Test func aRetriedPushChangesNothing() async throws {
        try await Self.withActivity { stack, d, id in
            try d[0].store.edit(id) { $0.title = "Once" }
            // The answer is lost after the hub committed; the device sends the batch again.
            let pushes = Tally()
            d[0].wrap = { inner in
                TamperingTransport(inner: inner) { request, response in
                    if request.path == "/v1/push", pushes.next() == 1 { throw ClientError.unreachable("test", "answer lost") }
                    return response
                }
            }
            _ = try? await d[0].sync()
            let before = try stack.hub.store.replicatedRecords(), cursor = try stack.hub.store.cursor()
            try await d[0].sync()
            #expect(try stack.hub.store.replicatedRecords() == before && stack.hub.store.cursor() == cursor)
            #expect(try Self.hubConflicts(stack) == 0)
            #expect(try d[0].store.pendingChanges().isEmpty)
        }
    }

    @Test func overwritingOwnUnsyncedTextRaisesNoConflict() async throws {
        try await Self.withActivity { stack, d, id in
            try d[0].store.edit(id) { $0.title = "Draft" }
            try d[0].store.edit(id) { $0.title = "Final" }
            try await d[0].sync(); try await d[1].sync()
            #expect(try d[1].activity(id)?.title == "Final")
            #expect(try Self.hubConflicts(stack) == 0)
        }
    }
}
