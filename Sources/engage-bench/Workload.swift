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
}
