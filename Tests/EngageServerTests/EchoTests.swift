import EngageClient
import EngageCore
import EngageHubSQLite
import EngageModel
import EngageProtocol
import EngageStorage
import EngageStore
import EngageTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The hub does not send a device back what it just pushed, and still sends everything else.
@Suite struct EchoTests {
    @Test func aPushIsNotPulledBackButOthersWritesAre() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a"), b = try await stack.device("b")
            try await a.sync(); try await b.sync()
            let logged = try (0..<20).map { i in try a.store.log(NothingLostTests.activity("Course \(i)")) }
            let shared = try b.store.log(NothingLostTests.activity("Written by b"))
            try await b.sync()
            try a.store.edit(logged[0].id) { $0.notes = "edited after logging" }
            let summary = try await a.sync()
            #expect(summary.pushed > 20 * 10)
            // Only b's activity comes down; a's own twenty do not.
            let fieldsOfOne = summary.pulled
            #expect(fieldsOfOne > 0 && fieldsOfOne < 30, "pulled \(fieldsOfOne)")
            #expect(try a.activity(shared.id)?.title == "Written by b")
            try await b.sync()
            for activity in logged.dropFirst() { #expect(try b.activity(activity.id) == activity) }
            #expect(try b.activity(logged[0].id)?.notes == "edited after logging")
            #expect(try a.store.replicatedRecords() == b.store.replicatedRecords())
            // Naming another device's receipts hides nothing of it: only the caller's own entries.
            let everything = try stack.hub.store.pull(after: 0, for: try #require(try stack.hub.store.devices().first { $0.nodeId == (try b.store.nodeID()).rawValue }),
                                                      limit: 5_000, maxBytes: 1 << 24, own: [1...Int64.max])
            #expect(everything.changes.contains { $0.recordId == logged[1].id.uuidString.lowercased() })
        }
    }

    /// After a large push, the pulls of the same sync do not come back empty page after page
    /// (each would be a round trip on a field link): the hub reads past its own-write rows.
    @Test func ownWritesDoNotMakeEmptyPages() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a")
            try await a.sync()
            for i in 0..<40 { _ = try a.store.log(NothingLostTests.activity("Course \(i)")) }
            let device = try #require(try stack.hub.store.devices().first { $0.nodeId == (try a.store.nodeID()).rawValue })
            let cursor = try stack.hub.store.cursor()
            let pending = try a.store.pendingChanges().map(\.change)
            let result = try stack.hub.store.push(pending, from: device)
            let receipt = try #require(result.logIDs)
            // Pages of 20 rows: every row after the cursor is this device's own.
            let page = try stack.hub.store.pull(after: cursor, for: device, limit: 20, maxBytes: 1 << 24, own: [receipt])
            let latest = try stack.hub.store.cursor()
            #expect(page.changes.isEmpty && !page.more && page.cursor == latest)
        }
    }

    /// A batch sent again after its answer was lost is acknowledged as held, and its receipt names
    /// the first copy's entries, so the sync's pull does not bring the batch back either.
    @Test func aBatchSentAgainHasTheFirstCopysReceipt() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a")
            try await a.sync()
            for i in 0..<5 { _ = try a.store.log(NothingLostTests.activity("Course \(i)")) }
            let device = try #require(try stack.hub.store.devices().first { $0.nodeId == (try a.store.nodeID()).rawValue })
            let cursor = try stack.hub.store.cursor()
            let pending = try a.store.pendingChanges().map(\.change)
            let first = try stack.hub.store.push(pending, from: device)
            let again = try stack.hub.store.push(pending, from: device)
            let half = try stack.hub.store.push(Array(pending.prefix(pending.count / 2)), from: device)
            #expect(again.newlyAccepted == 0 && again.accepted.count == pending.count)
            let firstIDs = try #require(first.logIDs)
            #expect(again.logIDs == nil && again.held == [firstIDs])
            let halfIDs = try #require(half.held.first)
            #expect(half.held.count == 1 && halfIDs.lowerBound == firstIDs.lowerBound && halfIDs.upperBound < firstIDs.upperBound)
            let page = try stack.hub.store.pull(after: cursor, for: device, limit: 5_000, maxBytes: 1 << 24, own: again.held)
            #expect(page.changes.isEmpty)
        }
    }

    @Test func badReceiptsAreRefused() async throws {
        let f = try Fixture()
        let code = try await f.code()
        try await f.app.test(.router) { client in
            let token = try await enroll(client, code: code, node: "device-a").token
            for bad in ["x", "5-1", "0-3", "1-2-3", "1-", Array(repeating: "1-2", count: 65).joined(separator: ",")] {
                try await client.execute(uri: "/v1/pull?cursor=0&own=\(bad)", method: .get, headers: headers(token: token)) {
                    #expect($0.status == .badRequest, "\(bad.prefix(20))")
                }
            }
            try await client.execute(uri: "/v1/pull?cursor=0&own=1-2,4-9", method: .get, headers: headers(token: token)) {
                #expect($0.status == .ok)
            }
        }
    }
}
