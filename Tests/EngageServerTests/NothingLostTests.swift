import EngageClient
import EngageCore
import EngageHubSQLite
import EngageModel
import EngageProtocol
import EngageServer
import EngageStorage
import EngageStore
import EngageTestSupport
import Foundation
import Testing

/// Each kind of loss found in the field, as its small input, on the shipped stack.
@Suite struct NothingLostTests {
    static func activity(_ title: String = "Port security course", post: String = "LIMA") -> Activity {
        var a = Activity.sample(title)
        a.post = post
        a.partners = ["SUNAT", "WCO"]
        a.goals = [.counterThreats, .informationSharing]
        return a
    }

    /// Devices a and b, an activity a logged and synced, and a copy of a's database; a and the
    /// copy then edit its notes at the same instant (identical clock readings, one stamp).
    static func copiedEditors(_ stack: Stack) async throws -> (a: StackDevice, b: StackDevice, copy: StackDevice, x: Activity) {
        let a = try await stack.device("a")
        let b = try await stack.device("b")
        let x = try a.store.log(activity())
        try await a.sync()
        let copy = try stack.copy(of: a, as: "a-copy")
        try a.store.edit(x.id) { $0.notes = "from the original" }
        try copy.store.edit(x.id) { $0.notes = "from the copy" }
        return (a, b, copy, x)
    }

    // 1. A record whose fields fall into several push batches reaches the hub whole, and every
    //    device it becomes visible to later receives all of it.
    @Test func recordsSplitAcrossBatchesArriveWhole() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a")
            let b = try await stack.device("b")
            let logged = try (0..<32).map { i in try a.store.log(Self.activity("Course \(i)")) }
            // Given batches of 7 outbox entries, and the answer of the second push lost
            let pushes = Tally()
            a.wrap = { inner in
                TamperingTransport(inner: inner) { request, response in
                    if request.path == "/v1/push", pushes.next() == 2 { throw ClientError.unreachable("test", "answer lost") }
                    return response
                }
            }
            _ = try? await a.sync { $0.pushChunk = 7 }
            a.wrap = nil
            try await a.sync { $0.pushChunk = 7 }
            try await b.sync { $0.pullLimit = 3 }
            for activity in logged { #expect(try b.activity(activity.id) == activity) }
            #expect(try a.store.rejectedChanges().isEmpty)
        }
    }

    // 7d. An import split across pushes (a hub limit below one record's run of changes): the
    // later pushes of an activity the import created are not taken for an import of an
    // activity someone else made (`exists`, found by the simulation over HTTP).
    @Test func anImportSplitAcrossPushesArrivesWhole() async throws {
        try await Stack.run(configure: { $0.maxBatchChanges = 6 }) { stack in
            let a = try await stack.device("a")
            let b = try await stack.device("b")
            let imported = (0..<3).map { Self.activity("Imported \($0)") }
            _ = try a.store.importActivities(imported)
            let summary = try await a.sync()
            #expect(summary.importsLeft == 0 && summary.rejected.isEmpty && summary.pushError == nil)
            try await b.sync()
            for activity in imported { #expect(try b.activity(activity.id) == activity) }
        }
    }

    @Test func anActivityMovedByHeadquartersReachesItsNewPostWhole() async throws {
        try await Stack.run { stack in
            let lima = try await stack.device("lima")
            let cusco = try await stack.device("cusco", post: "CUSCO")
            let hq = try await stack.device("hq", post: "HQ", role: .hq)
            let x = try lima.store.log(Self.activity())
            try await lima.sync()
            try await cusco.sync()
            #expect(try cusco.activity(x.id) == nil)
            try await hq.sync()
            try hq.store.edit(x.id) { $0.post = "CUSCO" }
            try await hq.sync()
            try await cusco.sync()
            var moved = x
            moved.post = "CUSCO"
            #expect(try cusco.activity(x.id) == moved)
            // The post it left (issue 23): its tablets had kept listing it as theirs, accepting
            // edits every sync then refused. They learn the move at their next pull (the
            // activity's `post`), say so, and keep it read-only; moved back, the post has it
            // whole and editable again.
            let summary = try await lima.sync()
            #expect(summary.movedAway == [x.id.uuidString.lowercased()])
            #expect(try lima.activity(x.id)?.post == "CUSCO")
            let refused = #expect(throws: StoreError.self) { try lima.store.edit(x.id) { $0.notes = "too late" } }
            #expect(refused?.code == .outOfScope && refused?.message.contains("moved to post CUSCO") == true)
            // Moved on: the post it left first learns where it went next.
            try hq.store.edit(x.id) { $0.post = "QUITO" }
            try await hq.sync()
            try await lima.sync()
            #expect(try lima.activity(x.id)?.post == "QUITO")
            try hq.store.edit(x.id) { $0.post = "LIMA" }
            try await hq.sync()
            try await lima.sync()
            #expect(try lima.activity(x.id)?.post == "LIMA")
            try lima.store.edit(x.id) { $0.notes = "ours again" }
            try await lima.sync()
            try await hq.sync()
            #expect(try hq.activity(x.id)?.notes == "ours again")
            #expect(try lima.store.rejectedChanges().isEmpty)
        }
    }

    // 2. A device pushes only what its person changed: not `deleted = false` over a delete it
    //    has not pulled yet.
    @Test func anEditOfAPartlyPulledRecordDoesNotUndoItsDelete() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a")
            let b = try await stack.device("b")
            let x = try a.store.log(Self.activity())
            try await a.sync()
            stack.advance(1_000)
            try a.store.delete(x.id)
            try await a.sync()
            // B's first pull is cut after the record but before the page carrying its delete.
            while try b.activity(x.id) == nil
                || b.store.stamp(collection: "activities", recordId: x.id.uuidString.lowercased(), field: "deleted") != nil
            {
                guard try b.store.status().serverCursor < (try stack.hub.store.cursor()) else { break }
                try await b.sync {
                    $0.pullLimit = 1
                    $0.maxPages = 1
                }
            }
            #expect(try b.activity(x.id)?.deleted == false)  // what B shows: the delete has not arrived
            stack.advance(1_000)
            try b.store.edit(x.id) { $0.title = "Port security course, phase 2" }
            #expect(try b.store.pendingChanges().map(\.change.field) == ["title"])
            try await b.sync()
            try await a.sync()
            for device in [a, b] { #expect(try device.activity(x.id)?.deleted == true) }
            #expect(
                try stack.hub.store.history(activityId: x.id.uuidString.lowercased()).filter { $0.change.field == "deleted" }
                    .count == 2)
        }
    }

    // 3. A change the hub refuses does not stay in force on the device: it returns to the
    //    hub's value and keeps the refused one, with the reason, for its author.
    @Test func aRefusedChangeReturnsTheDeviceToTheHubsValue() async throws {
        try await Stack.run { stack in
            let lima = try await stack.device("lima")
            let hq = try await stack.device("hq", post: "HQ", role: .hq)
            let x = try lima.store.log(Self.activity())
            try await lima.sync()
            try await hq.sync()
            stack.advance(60_000)
            try hq.store.edit(x.id) { $0.post = "CUSCO" }
            try await hq.sync()
            // Lima, not having pulled the move, edits the notes afterwards.
            stack.advance(60_000)
            try lima.store.edit(x.id) { $0.notes = "24 officers certified" }
            let summary = try await lima.sync()
            #expect(summary.rejected.map(\.code) == ["out_of_scope"])
            #expect(try lima.activity(x.id)?.notes == "")
            let refused = try lima.store.rejectedChanges()
            #expect(refused.count == 1 && refused[0].change.op == .set(.string("24 officers certified")))
            #expect(try lima.store.pendingChanges().isEmpty)
        }
    }

    @Test func aDeviceRefusesAtOnceWhatItsRoleMayNotDo() async throws {
        try await Stack.run { stack in
            let lima = try await stack.device("lima")
            let hq = try await stack.device("hq", post: "HQ", role: .hq)
            let x = try lima.store.log(Self.activity())
            #expect(throws: StoreError.self) { try lima.store.edit(x.id) { $0.post = "CUSCO" } }
            #expect(throws: StoreError.self) { try lima.store.log(Self.activity(post: "CUSCO")) }
            try await lima.sync()
            try await hq.sync()
            #expect(throws: StoreError.self) { try hq.store.edit(x.id) { $0.notes = "from HQ" } }
            #expect(try hq.store.pendingChanges().isEmpty && lima.store.pendingChanges().isEmpty)
        }
    }

    // 4. A pending push larger than the body limit is split by bytes; a change that can never
    //    fit is set aside with a reason; a failed push never prevents the pull.
    @Test func aPushLargerThanTheBodyLimitIsSplit() async throws {
        try await Stack.run(configure: { $0.maxBodyBytes = 64 * 1024 }) { stack in
            let a = try await stack.device("a")
            let b = try await stack.device("b")
            var ids: [UUID] = []
            for i in 0..<3 {
                var x = Self.activity("Long report \(i)")
                x.notes = String(repeating: "Seized containers inspected at Callao. ", count: 500)  // ~19,500 characters
                ids.append(try a.store.log(x).id)
            }
            for i in 0..<40 { ids.append(try a.store.log(Self.activity("Course \(i)")).id) }
            let summary = try await a.sync()
            #expect(summary.pushError == nil && summary.rejected.isEmpty)
            #expect(try a.store.pendingChanges().isEmpty)
            try await b.sync()
            for id in ids { #expect(try b.activity(id) == a.activity(id)) }
        }
    }

    @Test func aChangeThatCanNeverFitIsSetAsideAndTheRestGoes() async throws {
        try await Stack.run(configure: { $0.maxBodyBytes = 8 * 1024 }) { stack in
            let a = try await stack.device("a")
            var big = Self.activity("Long report")
            big.notes = String(repeating: "Seized containers inspected at Callao. ", count: 400)
            let x = try a.store.log(big)
            let y = try a.store.log(Self.activity("Small course"))
            let summary = try await a.sync()
            #expect(summary.pushError == nil)
            #expect(try a.store.pendingChanges().isEmpty)
            #expect(try a.store.rejectedChanges().map(\.code) == ["body_too_large"])
            #expect(try a.activity(x.id)?.notes == big.notes)  // kept as typed, on the device
            #expect(try stack.hub.store.post(ofActivity: y.id.uuidString.lowercased()) == "LIMA")
        }
    }

    @Test func aFailedPushDoesNotPreventThePull() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a")
            let b = try await stack.device("b")
            let x = try a.store.log(Self.activity())
            try await a.sync()
            _ = try b.store.log(Self.activity("B's course"))
            b.wrap = { inner in
                TamperingTransport(inner: inner) { request, response in
                    if request.path == "/v1/push" { throw ClientError.unreachable("test", "connection reset") }
                    return response
                }
            }
            do {
                try await b.sync()
                Issue.record("the push failure was not reported")
            } catch let SyncError.pushFailed(_, summary) {
                #expect(summary.pulled > 0)
            }
            #expect(try b.activity(x.id) == x)
            #expect(try b.store.pendingChanges().count > 0)
        }
    }

    // 5. A revoked device given a new code re-enrols on its own database; its pending work goes up.
    @Test func aRevokedDeviceReEnrolsOnItsDatabaseAndSendsItsWork() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a")
            let b = try await stack.device("b")
            try stack.hub.store.revoke(deviceId: try #require(try a.store.enrollment()).deviceId)
            let x = try a.store.log(Self.activity())
            await #expect(throws: ClientError.self) { try await a.sync() }
            try await a.enroll(post: "LIMA")
            try await a.sync()
            try await b.sync()
            #expect(try b.activity(x.id) == x)
            #expect(try a.store.pendingChanges().isEmpty)
        }
    }

    //    Its pending work goes as its old identity's history; what the hub refuses of it is still
    //    its own: kept with the reason and undone, never dropped in silence.
    @Test func aRefusalOfWorkUnderAnEarlierIdentityIsKept() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a")
            let hq = try await stack.device("hq", post: "HQ", role: .hq)
            let x = try a.store.log(Self.activity())
            try await a.sync()
            try await hq.sync()
            try hq.store.edit(x.id) { $0.post = "CUSCO" }
            try await hq.sync()
            stack.advance(1_000)  // after the move, which a has not pulled yet
            try a.store.edit(x.id) { $0.title = "Typed before hearing of the move" }
            try stack.hub.store.revoke(deviceId: try #require(try a.store.enrollment()).deviceId)
            let before = try a.store.nodeID()
            try await a.enroll(post: "LIMA")
            #expect(try a.store.nodeID() != before)
            try await a.sync()
            #expect(try a.store.pendingChanges().isEmpty)
            let refused = try a.store.rejectedChanges()
            #expect(
                refused.map(\.change.field) == ["title"] && refused.map(\.code) == ["out_of_scope"],
                "\(refused.map { "\($0.change.field) \($0.code) \($0.message)" })")
            #expect(try a.store.ownNodes().contains(before))
        }
    }

    // 6. A database copied onto a replacement tablet: the hub tells the two apart and the copy
    //    takes a new identity without losing its pending work, even with identical readings.
    @Test func aCopiedDatabaseTakesANewIdentityAndLosesNothing() async throws {
        try await Stack.run { stack in
            let (a, b, copy, x) = try await Self.copiedEditors(stack)
            #expect(try a.store.pendingChanges()[0].change.stamp == copy.store.pendingChanges()[0].change.stamp)
            try await a.sync()
            let summary = try await copy.sync()
            #expect(summary.newDeviceId != nil)
            #expect(try copy.store.nodeID() != a.store.nodeID())
            try await a.sync()
            try await b.sync()
            let conflicts = try b.store.conflicts()
            #expect(conflicts.count == 1)
            let sides = Set(conflicts.flatMap { [$0.current.value, $0.other.value] })
            #expect(sides == [.string("from the original"), .string("from the copy")])
            #expect(try stack.hub.store.devices().contains { $0.name.hasSuffix("(copy)") })
        }
    }

    //    And when both re-send under new identities to a hub restored from a backup, the two
    //    writes arrive as relays of one stamp with different values: both are kept as a conflict.
    @Test func twoValuesUnderOneStampRelayedToARestoredHubBecomeAConflict() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a")
            let b = try await stack.device("b")
            let x = try a.store.log(Self.activity())
            try await a.sync()
            let backup = stack.folder + "/backup.sqlite"
            try stack.hub.backup(to: backup)
            let copy = try stack.copy(of: a, as: "a-copy")
            try a.store.edit(x.id) { $0.notes = "from the original" }
            try copy.store.edit(x.id) { $0.notes = "from the copy" }
            try await copy.sync()
            try stack.hub.restore(from: backup)
            try await a.sync()  // starts over on the restored hub, which never saw the copy's write
            try stack.hub.store.revoke(deviceId: try #require(try a.store.enrollment()).deviceId)
            for device in [copy, a] {
                try await device.enroll(post: "LIMA")
                try await device.sync()
            }
            for device in [a, copy, b] { try await device.sync() }
            let conflicts = try b.store.conflicts()
            let sides = Set(conflicts.flatMap { [$0.current.value, $0.other.value] })
            #expect(sides == [.string("from the original"), .string("from the copy")])
            let shown = try a.activity(x.id)?.notes
            for device in [copy, b] { #expect(try device.activity(x.id)?.notes == shown, "\(device.name)") }
            #expect(try copy.store.conflicts().count == conflicts.count)
        }
    }

    //    Even when the original has written the field again since, the copy's value under the
    //    shared stamp is kept as a conflict's side, not dropped as history the hub holds.
    @Test func aCopysValueUnderASupersededSharedStampIsKept() async throws {
        try await Stack.run { stack in
            let (a, b, copy, x) = try await Self.copiedEditors(stack)
            try await a.sync()
            stack.advance(60_000)
            try a.store.edit(x.id) { $0.notes = "written again" }
            try await a.sync()
            try stack.hub.store.revoke(deviceId: try #require(try copy.store.enrollment()).deviceId)
            try await copy.enroll(post: "LIMA")
            try await copy.sync()
            try await b.sync()
            let sides = Set(try b.store.conflicts().flatMap { [$0.current.value, $0.other.value] })
            #expect(sides == [.string("from the original"), .string("from the copy")])
            #expect(try b.activity(x.id)?.notes == "written again")
        }
    }

    //    The history both copies share stays history: an element the copy removed does not come
    //    back when the original takes a new identity with the element's add still pending.
    @Test func aNewIdentityDoesNotReviveWhatTheCopyRemoved() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a")
            let b = try await stack.device("b")
            let x = try a.store.log(Self.activity())
            try await a.sync()
            try a.store.edit(x.id) { $0.goals.insert(.sharedStandards) }
            let copy = try stack.copy(of: a, as: "a-copy")
            copy.skew(60_000)  // the copy's later stamps pass everything the original writes next
            try copy.store.edit(x.id) { $0.goals.remove(.sharedStandards) }
            try await copy.sync()
            try a.store.edit(x.id) { $0.notes = "from the original" }
            let summary = try await a.sync()
            #expect(summary.newDeviceId != nil)
            for device in [copy, a, b, a] { try await device.sync() }
            for device in [a, copy, b] {
                let shown = try #require(try device.activity(x.id))
                #expect(!shown.goals.contains(.sharedStandards), "\(device.name)")
                #expect(shown.notes == "from the original", "\(device.name)")
            }
        }
    }

    // 7. The hub restored from an older backup: devices re-send what it lost and pull again.
    @Test func aHubRestoredFromABackupGetsBackWhatDevicesHold() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a")
            let b = try await stack.device("b")
            let before = try a.store.log(Self.activity("Before the backup"))
            try await a.sync()
            let backup = stack.folder + "/backup.sqlite"
            try stack.hub.backup(to: backup)
            stack.advance(60_000)
            let after = try a.store.log(Self.activity("After the backup"))
            try await a.sync()
            try await b.sync()
            try stack.hub.restore(from: backup)
            // Another device writes to the restored hub first, so its cursor passes no one's.
            let c = try await stack.device("c")
            let fresh = try c.store.log(Self.activity("On the restored hub"))
            try await c.sync()
            let summary = try await b.sync()
            #expect(summary.startedOver)
            try await a.sync()
            try await c.sync()
            for device in [a, b, c] {
                for activity in [before, after, fresh] { #expect(try device.activity(activity.id) == activity, "\(device.name)") }
            }
        }
    }

    // 7b. A hub restored with ordinary tools — `sqlite3 .backup`, a plain file copy, no step of
    // the project's and the generation unchanged — is noticed all the same: a device whose
    // cursor lies in the sequence numbers the restored hub gave again does not skip the changes
    // that took them, and what a device had sent since the backup is sent again.
    @Test func aHubRestoredWithOrdinaryToolsIsNoticed() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a")
            let b = try await stack.device("b")
            let before = try a.store.log(Self.activity("Before the backup"))
            try await a.sync()
            try await b.sync()
            let backup = stack.folder + "/ordinary.sqlite"
            let tool = Process()
            tool.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            tool.arguments = [stack.hub.path, ".backup '\(backup)'"]
            try tool.run()
            tool.waitUntilExit()
            #expect(tool.terminationStatus == 0, "sqlite3 .backup failed (scripts/setup --test installs sqlite3)")
            stack.advance(60_000)
            let after = try a.store.log(Self.activity("After the backup"))
            try await a.sync()
            try await b.sync()  // b's cursor is past the backup now
            let generation = stack.hub.store.generation
            try stack.hub.restore(from: backup)  // the file copied back over the hub's, as a stopped hub's would be
            #expect(stack.hub.store.generation == generation)
            // Another device writes to the restored hub first: its changes take the numbers b's
            // cursor had passed.
            let c = try await stack.device("c")
            let fresh = [try c.store.log(Self.activity("On the restored hub")), try c.store.log(Self.activity("And another"))]
            try await c.sync()
            #expect(try await b.sync().startedOver)
            #expect(try await a.sync().startedOver)
            try await c.sync()
            try await b.sync()
            for device in [a, b, c] {
                for activity in [before, after] + fresh {
                    #expect(try device.activity(activity.id) == activity, "\(device.name)")
                }
            }
        }
    }

    // 7c. A hub that takes fewer changes per push than the client sends (`serve --max-batch
    // 40`): every push had got `400 batch_too_large` and 840 changes stayed pending for good.
    // The client halves its batches until the hub takes them, and everything arrives.
    @Test func aHubBatchLimitBelowTheClientsIsFollowed() async throws {
        try await Stack.run(configure: { $0.maxBatchChanges = 40 }) { stack in
            let a = try await stack.device("a")
            let b = try await stack.device("b")
            let logged = try (0..<50).map { i in try a.store.log(Self.activity("Course \(i)")) }
            #expect(try a.store.pendingCount() > 500)
            let summary = try await a.sync()
            #expect(summary.pushError == nil && summary.rejected.isEmpty)
            #expect(try a.store.pendingCount() == 0)
            try await b.sync()
            for x in logged { #expect(try b.activity(x.id) == x) }
        }
    }

    // 8a. The hub's own clock steps back 20 minutes (an NTP correction): a device's next edit of
    // a field it had just synced was lost although `engage sync` said it went through, and the
    // device was relabelled "(copy)". The device never lets the hub's time pull its clock below
    // stamps the hub took from it, and the hub takes a device's stamps up to those.
    @Test func theHubsClockSteppingBackLosesNothing() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a")
            let b = try await stack.device("b")
            let x = try a.store.log(Self.activity())
            try await a.sync()
            try await b.sync()
            try a.store.edit(x.id) { $0.notes = "first" }
            try await a.sync()
            stack.advance(1_000)
            stack.clock.set(stack.nowMs - 20 * 60_000)  // the hub's clock alone steps back
            try a.store.edit(x.id) { $0.notes = "second" }
            let summary = try await a.sync()
            #expect(summary.pushError == nil && summary.rejected.isEmpty && !summary.startedOver)
            #expect(try a.store.pendingCount() == 0)
            try await b.sync()
            for device in [a, b] { #expect(try device.activity(x.id)?.notes == "second", "\(device.name)") }
            #expect(try stack.hub.store.devices().allSatisfy { !$0.name.contains("copy") })
        }
    }

    // 8. Stamps far ahead are refused per change and stamped again by the device; nothing freezes.
    @Test func aDeviceClockYearsAheadIsCorrectedAndFreezesNothing() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a")
            let b = try await stack.device("b")
            let x = try a.store.log(Self.activity())
            try await a.sync()
            try await b.sync()
            a.skew(73 * 365 * 86_400_000)  // 2099
            try a.store.edit(x.id) { $0.notes = "from 2099" }
            let summary = try await a.sync()
            #expect(summary.rejected.isEmpty && summary.pushError == nil)
            let stamp = try #require(
                try a.store.stamp(collection: "activities", recordId: x.id.uuidString.lowercased(), field: "notes"))
            #expect(stamp.wallMs <= stack.nowMs + HLC.maxAheadMs)
            // A later edit elsewhere still wins.
            stack.advance(60_000)
            try await b.sync()
            try b.store.edit(x.id) { $0.notes = "later, from B" }
            try await b.sync()
            try await a.sync()
            #expect(try a.activity(x.id)?.notes == "later, from B")
            #expect(try b.store.conflicts().isEmpty)
        }
    }

    @Test func aStampBeyondTheEncodingIsRefused() throws {
        #expect(HLC(encoded: "ffffffffffff0000-device-a") == nil)
        #expect(HLC(wallMs: .max, counter: .max, node: NodeID("a")!).wallMs == HLC.maxWallMs)
        var clock = HybridClock(node: NodeID("a")!, last: HLC(wallMs: HLC.maxWallMs, counter: .max, node: NodeID("a")!))
        let next = clock.tick(physicalMs: .max)
        #expect(HLC(encoded: next.encoded) == next)  // saturates; never wraps to 1970
    }

    // 9. Every pull page makes progress, even when one sequence number holds more rows than a page.
    @Test func aRemovalObservingManyTagsPullsWithAPageLimitOfOne() async throws {
        try await Stack.run { stack in
            let devices = [try await stack.device("a"), try await stack.device("b"), try await stack.device("c")]
            var x = Self.activity()
            x.partners = ["SUNAT"]
            x = try devices[0].store.log(x)
            for d in devices { try await d.sync() }
            for d in devices { try d.store.edit(x.id) { $0.partners.insert("WCO") } }
            for d in devices { try await d.sync() }
            try await devices[0].sync()
            try devices[0].store.edit(x.id) { $0.partners.remove("WCO") }
            try await devices[0].sync()
            let late = try await stack.device("late")
            try await late.sync { $0.pullLimit = 1 }
            #expect(try late.activity(x.id)?.partners == ["SUNAT"])
            #expect(try late.store.status().serverCursor == stack.hub.store.cursor())
        }
    }

    // 12b. A tablet set up offline from the post's planning file (ids included) had undone the
    // corrections other tablets made since (participants 24 → 20 everywhere), although an import
    // leaves existing activities untouched. Its import now only fills in what the hub lacks.
    @Test func anImportOnANewTabletOverridesNoEdit() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a")
            var planned = Self.activity("Canine course")
            planned.participants = 20
            let plan = [planned, Self.activity("Port visit")]
            _ = try a.store.importActivities(plan)
            try await a.sync()
            stack.advance(60_000)
            try a.store.edit(planned.id) { $0.participants = 24 }  // a correction
            try await a.sync()
            stack.advance(60_000)
            let b = try await stack.device("b")  // the new tablet: the plan imported before its first sync
            _ = try b.store.importActivities(plan)
            var fresh = Self.activity("Only in the new plan")
            fresh = try #require(try b.store.importActivities([fresh]).created == 1 ? fresh : nil)
            let summary = try await b.sync()
            #expect(summary.rejected.isEmpty && summary.importsLeft > 0)
            #expect(try b.store.refusedWork().isEmpty)  // nobody typed those values
            try await a.sync()
            for device in [a, b] {
                #expect(try device.activity(planned.id)?.participants == 24, "\(device.name)")
                #expect(try device.activity(fresh.id) == fresh, "\(device.name)")
                #expect(try device.store.conflicts().isEmpty, "\(device.name)")
            }
        }
    }

    // 12. Importing the same file twice, with entries that carry no id, duplicates nothing.
    @Test func reImportingAFileWithoutIdsCreatesNothingNew() async throws {
        let json = Data(
            """
            [{"kind": "training", "title": "Canine course", "country": "PE", "startDate": "2026-03-02", "post": "LIMA"},
             {"kind": "agreement", "title": "CMAA signed", "country": "CL", "startDate": "2026-04-01", "post": "LIMA"}]
            """.utf8)
        try await Stack.run { stack in
            let a = try await stack.device("a")
            #expect(try a.store.importActivities(ActivityFile.decode(json)).created == 2)
            #expect(try a.store.importActivities(ActivityFile.decode(json)) == (created: 0, existing: 2))
            #expect(try stack.hub.store.importActivities(ActivityFile.decode(json)).created == 2)
            try await a.sync()
            #expect(try stack.hub.store.activities().count == 2)
            #expect(try a.store.activities().count == 2)
        }
    }
}
