import EngageCore
import EngageModel
import EngageStorage
import EngageTestSupport
import Foundation
import Testing

@testable import EngageHubPostgres
@testable import EngageStore

/// Pulls from PostgreSQL in small pages give each device exactly what its role and post may
/// see — every record whole, nothing else — with cursors that only move forward.
@Suite(.enabled(if: HubKind.available.contains(.postgres))) struct PullConformanceTests {
    @Test func eachDevicePullsWhatItMaySeeInPages() async throws {
        let clock = FakeClock()
        let author = try DeviceStore.inMemory(physicalMs: clock.now)
        for i in 0..<12 {
            var a = Activity.sample("Course \(i)")
            a.post = i % 3 == 0 ? "SANTIAGO" : "LIMA"
            a.partners = i % 2 == 0 ? ["SUNAT", "WCO"] : ["WCO"]
            let id = try author.log(a).id
            clock.advance(1_000)
            if i % 4 == 0 {
                try author.edit(id) { $0.partners = ["SUNAT"] }
                clock.advance(1_000)
            }
        }
        let hubStamp = { (i: Int64) in HLC(wallMs: clock.now() + i, counter: 0, node: HubRules.node) }
        let registry = [
            Change(collection: PartnerFields.collection, recordId: "WCO", field: "name", op: .set(.string("World Customs Organization")), stamp: hubStamp(1)),
            Change(collection: PartnerFields.collection, recordId: "WCO", field: "country", op: .set(.string("BE")), stamp: hubStamp(2)),
            Change(collection: PartnerFields.collection, recordId: "WCO", field: "agencyType", op: .set(.string("multilateral")), stamp: hubStamp(3)),
        ]
        let changes = try author.pendingChanges().map(\.change) + registry
        _ = try author.applyRemote(registry)

        let (url, drop) = try await TestHub.freshDatabase()
        let hub = try await PostgresHub.open(url: url, logger: TestHub.quiet)
        for start in stride(from: 0, to: changes.count, by: 40) {
            _ = try await hub.applyReplicated(Array(changes[start..<min(start + 40, changes.count)]))
        }
        let everything = try author.replicatedRecords()
        func post(_ key: String) -> String? { everything[key]?.registers["post"]?.value.stringValue }
        let devices: [(DeviceRecord, (String) -> Bool)] = [
            (.init(id: "lima", name: "Lima", post: "LIMA", role: .advisor, nodeId: "nlima", lastSeen: nil, revoked: false),
             { $0.hasPrefix("partners/") || post($0) == "LIMA" }),
            (.init(id: "hq", name: "HQ", post: "HQ", role: .hq, nodeId: "nhq", lastSeen: nil, revoked: false), { _ in true }),
            (.init(id: "admin", name: "Admin", post: "HQ", role: .admin, nodeId: "nadmin", lastSeen: nil, revoked: false), { $0.hasPrefix("partners/") }),
        ]
        for (device, visible) in devices {
            let reader = try DeviceStore.inMemory(physicalMs: clock.now)
            var cursor: Int64 = 0, pages = 0, total: Int?
            while pages < 500 {
                let page = try await hub.pull(after: cursor, for: device, limit: 7, maxBytes: 1 << 20, countRemaining: pages == 0)
                if pages == 0 { total = page.remaining.map { $0 + page.changes.count } }
                #expect(page.generation == hub.generation)
                #expect(page.cursor >= cursor)
                _ = try reader.applyRemote(page.changes)
                cursor = page.cursor
                pages += 1
                if !page.more { break }
            }
            let got = try reader.replicatedRecords().filter { !$0.key.hasPrefix("partners/") || everything[$0.key] != nil }
            let expected = everything.filter { visible($0.key) }
            #expect(got == expected, "\(device.id): \(got.count) records, expected \(expected.count)")
            #expect(pages > (device.role == .admin ? 0 : 2), "\(device.id) pulled in \(pages) pages")
            #expect((total ?? 0) >= 1)
            // Caught up: nothing more, and a cursor beyond the hub is refused.
            let after = try await hub.pull(after: cursor, for: device, limit: 7, maxBytes: 1 << 20)
            #expect(after.changes.isEmpty && !after.more)
            let ahead = await #expect(throws: StoreError.self) { try await hub.pull(after: cursor + 1_000, for: device, limit: 7, maxBytes: 1 << 20) }
            #expect(ahead?.code == .cursorAhead)
        }
        await hub.close()
        await drop()
    }
}
