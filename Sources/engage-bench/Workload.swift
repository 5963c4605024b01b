import EngageCore
import EngageModel
import Foundation

/// Deterministic remote changes: whole activities as a server would send them.
enum Workload {
    static let server = NodeID("server")!

    static func remoteChanges(activities: Int) -> [Change] {
        var clock = HybridClock(node: server)
        var changes: [Change] = []
        for i in 0..<activities {
            changes += LocalEdit.changes(from: RecordState(), to: activity(i), clock: &clock,
                                         physicalMs: 1_767_225_600_000 + Int64(i), seen: 0)
        }
        return changes
    }

    /// The changes a device of node `node` writes creating activities `range` (offset by
    /// `first` in the activity numbering) at post BENCH.
    static func creations(_ range: Range<Int>, first: Int = 0, node: NodeID) -> [Change] {
        var clock = HybridClock(node: node)
        var changes: [Change] = []
        for i in range {
            var a = activity(first + i)
            a.post = "BENCH"
            changes += LocalEdit.changes(from: RecordState(), to: a, clock: &clock, physicalMs: 1_767_225_600_000 + Int64(i), seen: 0)
        }
        return changes
    }

    /// A realistic activity, the same for the same `i`.
    static func activity(_ i: Int) -> Activity {
        let countries = ["PE", "CL", "TZ", "KE", "MX", "CO", "BE", "PH"]
        return Activity(
            id: UUID(uuidString: String(format: "00000000-0000-4000-8000-%012x", i))!, kind: ActivityKind.allCases[i % 6],
            title: "Activity \(i) with a realistic title length", country: try! Country(countries[i % countries.count]),
            location: "Port city \(i % 40)", post: "POST-\(i % 12)", partners: ["SUNAT", "WCO"], goals: [.counterThreats],
            startDate: try! Day("2026-01-15"), endDate: try! Day("2026-02-15"), status: .completed, participants: i % 50,
            notes: "Notes of moderate length describing what happened at activity \(i).")
    }

    /// Later writes to a fraction of the scalar fields (new values, later stamps).
    static func edits(of changes: [Change], fraction: Double) -> [Change] {
        var clock = HybridClock(node: NodeID("editor")!)
        var out: [Change] = []
        for (i, c) in changes.enumerated() where i % Int(1 / fraction) == 0 {
            guard case .set(let value) = c.op, ["title", "notes", "location", "participants"].contains(c.field) else { continue }
            let newValue: FieldValue = if case .int(let n) = value { .int(n + 1) } else { .string("\(value) (edited)") }
            out.append(Change(collection: c.collection, recordId: c.recordId, field: c.field, op: .set(newValue),
                              stamp: clock.tick(physicalMs: 1_800_000_000_000), base: c.stamp))
        }
        return out
    }

    /// The partner registry of the HQ workload: 40 national agencies and the WCO (multilateral).
    static let partners: [Partner] = (0..<40).map {
        Partner(code: "AG\($0)", name: "National agency \($0)", country: try! Country(hqCountries[$0 % hqCountries.count]), agencyType: "customs")
    } + [Partner(code: "WCO", name: "World Customs Organization", country: try! Country("BE"), agencyType: "multilateral")]

    static let hqCountries = ["PE", "CL", "TZ", "KE", "MX", "CO", "BE", "PH", "EC", "GT", "HN", "PA", "JO", "EG", "MA", "SN", "GH", "NG",
                              "ZA", "BW", "VN", "TH", "ID", "MY", "KH", "UA", "MD", "GE", "PL", "RO"]

    /// An HQ-scale activity, the same for the same `i`: 8 posts, 30 countries, 3 years of start
    /// dates, 1–5 days long, one or two national partners, sometimes the WCO.
    static func hqActivity(_ i: Int) -> Activity {
        let day = (i &* 7_919) % 1_095
        let partnersOf: Set<String> = i % 3 == 0 ? ["AG\(i % 40)", "AG\((i / 40) % 40)"] : ["AG\(i % 40)"]
        return Activity(
            id: UUID(uuidString: String(format: "00000000-0000-4000-9000-%012x", i))!, kind: ActivityKind.allCases[(i / 7) % 6],
            title: "Engagement \(i): \(ActivityKind.allCases[(i / 7) % 6].rawValue) with national agency \(i % 40)",
            country: try! Country(hqCountries[(i / 3) % hqCountries.count]), location: "City \(i % 50)", post: "POST-\(i % 8)",
            partners: i % 10 == 0 ? partnersOf.union(["WCO"]) : partnersOf, goals: [StrategicGoal.allCases[i % 4]],
            startDate: Self.day(day), endDate: Self.day(day + i % 5),
            status: i % 17 == 0 ? .cancelled : .completed, participants: 5 + i % 40,
            notes: "What happened at engagement \(i), in a sentence or two of moderate length.")
    }

    /// The day `offset` days after 2024-01-01.
    static func day(_ offset: Int) -> Day {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: 1_704_067_200 + Double(offset) * 86_400))
        return try! Day(year: c.year!, month: c.month!, day: c.day!)
    }
}
