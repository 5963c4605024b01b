import EngageCore
import EngageModel
import EngageStorage
import EngageStore
import EngageTestSupport
import Foundation
import Testing

@Suite struct DeviceStoreTests {
    let clock = FakeClock()

    func store() throws -> DeviceStore { try DeviceStore.inMemory(physicalMs: clock.now) }
    func key(_ a: Activity) -> String { a.id.uuidString.lowercased() }

    @Test func migratesAFreshFileAndReopensIt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("nested/device.sqlite")
        let first = try DeviceStore(path: path, physicalMs: clock.now)
        #expect(
            try first.appliedMigrations() == [
                "replica/0001_initial", "replica/0002_identity", "device/0003_lineage", "replica/0004_open_conflicts",
                "replica/0005_real_records", "replica/0008_unknown_sensitivity", "device/0009_agency_ca",
                "device/0010_hub_checkpoint", "device/0011_taken_stamp", "device/0012_outbox_fill",
            ])
        let a = try first.log(.sample())
        let node = try first.nodeID()
        let again = try DeviceStore(path: path, physicalMs: clock.now)
        #expect(
            try again.appliedMigrations() == [
                "replica/0001_initial", "replica/0002_identity", "device/0003_lineage", "replica/0004_open_conflicts",
                "replica/0005_real_records", "replica/0008_unknown_sensitivity", "device/0009_agency_ca",
                "device/0010_hub_checkpoint", "device/0011_taken_stamp", "device/0012_outbox_fill",
            ])
        #expect(try again.activity(a.id) == a)
        #expect(try again.nodeID() == node)
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))  // WAL mode
        #expect(try again.partners().count >= 30)
    }

    @Test func loggingStampsEveryFieldOnce() throws {
        let s = try store()
        let a = try s.log(.sample())
        // Every field but those at their 1.1 defaults (a record without them reads the same).
        let fields = ActivityFields.createdScalars.count + a.partners.count + a.goals.count
        #expect(try s.pendingChanges().count == fields)
        #expect(try s.stamp(collection: "activities", recordId: key(a), field: "title")?.node == s.nodeID())
    }

    @Test func anEditStampsExactlyTheFieldsItChanged() throws {
        let s = try store()
        let a = try s.log(.sample())
        let before = try Dictionary(
            uniqueKeysWithValues: ActivityFields.scalars.map {
                ($0, try s.stamp(collection: "activities", recordId: key(a), field: $0))
            })
        let pending = try s.pendingChanges().count
        clock.advance(1_000)
        try s.edit(a.id) {
            $0.title = "New title"
            $0.participants = 14
            $0.notes = "" /* unchanged */
        }
        for field in ActivityFields.scalars {
            let after = try s.stamp(collection: "activities", recordId: key(a), field: field)
            if ["title", "participants"].contains(field) {
                #expect(after != before[field]!! && after! > before[field]!!, "\(field) was not stamped")
            } else {
                #expect(after == before[field]!, "\(field) was stamped but did not change")
            }
        }
        let added = try s.pendingChanges().dropFirst(pending).map(\.change.field)
        #expect(added.sorted() == ["participants", "title"])
    }

    @Test func setEditsStampOnlyTheElementsThatChanged() throws {
        let s = try store()
        let a = try s.log(.sample())
        let pending = try s.pendingChanges().count
        try s.edit(a.id) {
            $0.partners = ["TRA", "TPA"]
            $0.goals.insert(.informationSharing)
        }
        let ops = try s.pendingChanges().dropFirst(pending).map(\.change.op)
        #expect(ops == [.add("TPA"), .add("3")])
        try s.edit(a.id) { $0.partners.remove("TRA") }
        #expect(try s.activity(a.id).partners == ["TPA"])
    }

    @Test func idsResolveByUniquePrefix() throws {
        let s = try store()
        let a = try s.log(.sample(id: UUID(uuidString: "abcdef01-0000-4000-8000-000000000001")!))
        _ = try s.log(.sample(id: UUID(uuidString: "abcdef02-0000-4000-8000-000000000002")!))
        #expect(try s.resolveID("abcdef01") == a.id)
        #expect(try s.resolveID("ABCDEF01-0000") == a.id)
        #expect(throws: StoreError.self) { try s.resolveID("abcdef") }  // ambiguous
        #expect(throws: StoreError.self) { try s.resolveID("abcde") }  // too short
        #expect(throws: StoreError.self) { try s.resolveID("123456") }  // unknown
        do { _ = try s.resolveID("abcdef") } catch { #expect(error.code == .ambiguousID) }
    }

    @Test func deleteKeepsTheFieldsAndRestoreBringsThemBack() throws {
        let s = try store()
        let a = try s.log(.sample())
        try s.delete(a.id)
        #expect(try s.activities().isEmpty)
        #expect(try s.activities(ActivityFilter(includeDeleted: true)).first?.title == a.title)
        #expect(throws: StoreError.self) { try s.edit(a.id) { $0.title = "x" } }
        try s.restore(a.id)
        var expected = a
        expected.deleted = false
        #expect(try s.activity(a.id) == expected)
    }

    @Test func importingTwiceCreatesNoDuplicatesAndBadInputImportsNothing() throws {
        let s = try store()
        let batch = [Activity.sample("One"), Activity.sample("Two")]
        #expect(try s.importActivities(batch) == (created: 2, existing: 0))
        #expect(try s.importActivities(batch) == (created: 0, existing: 2))
        var bad = Activity.sample("Three")
        bad.participants = -4
        #expect(throws: StoreError.self) { try s.importActivities([.sample("Four"), bad]) }
        #expect(try s.activities().count == 2)
    }

    @Test func aRefusedEditChangesNothing() throws {
        let s = try store()
        let a = try s.log(.sample())
        let pending = try s.pendingChanges()
        #expect(throws: StoreError.self) {
            let early = try Day("2020-01-01")
            try s.edit(a.id) {
                $0.title = "ok"
                $0.endDate = early
            }
        }
        #expect(try s.activity(a.id) == a)
        #expect(try s.pendingChanges() == pending)
    }

    @Test func filtersSelectByKindCountryAndPost() throws {
        let s = try store()
        var other = Activity.sample("Agreement")
        other.kind = .agreement
        other.country = try Country("CL")
        other.post = "SANTIAGO"
        try s.log(.sample())
        try s.log(other)
        #expect(try s.activities(ActivityFilter(kind: .agreement)).map(\.title) == ["Agreement"])
        #expect(try s.activities(ActivityFilter(country: try Country("TZ"))).map(\.title) == ["Canine training"])
        #expect(try s.activities(ActivityFilter(post: "SANTIAGO")).count == 1)
    }
}
