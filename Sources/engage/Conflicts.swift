import ArgumentParser
import EngageCore
import EngageModel
import EngageStorage
import EngageStore
import Foundation

struct Conflicts: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List open conflicts: concurrent edits that need a decision.")

    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Include settled conflicts") var all = false
    @Flag(help: "Print the conflicts as JSON") var json = false

    /// `by`: the enrolled name of the device that wrote it (the node id when the hub gave none).
    struct Side: Encodable {
        var value: FieldValue
        var by: String
        var node: String
        var at: String
    }
    struct Item: Encodable {
        var id: String, activityId: String, field: String, current: Side, other: Side, resolved: Bool
    }

    func run() throws {
        let items = try database.openExisting().conflicts(includeResolved: all).map { c in
            Item(
                id: c.id, activityId: c.activityId, field: c.field,
                current: Side(
                    value: c.current.value, by: c.current.authorName, node: c.current.author.rawValue, at: c.current.stamp.encoded
                ),
                other: Side(
                    value: c.other.value, by: c.other.authorName, node: c.other.author.rawValue, at: c.other.stamp.encoded),
                resolved: c.resolved)
        }
        if json { return try printJSON(items) }
        if items.isEmpty { return say(all ? "no conflicts" : "no open conflicts") }
        // Open ones first; with --all, a STATE column says which are settled.
        let ordered = items.sorted { ($0.resolved ? 1 : 0, $0.id) < ($1.resolved ? 1 : 0, $1.id) }
        say(
            Table.render(
                header: (all ? ["STATE"] : []) + ["ID", "ACTIVITY", "FIELD", "CURRENT (kept)", "BY", "OTHER", "OTHER BY"],
                rows: ordered.map {
                    (all ? [$0.resolved ? "settled" : "open"] : [])
                        + [
                            String($0.id.prefix(12)), String($0.activityId.prefix(8)), $0.field,
                            Self.short("\($0.current.value)"), $0.current.by, Self.short("\($0.other.value)"), $0.other.by,
                        ]
                }))
        let open = items.filter { !$0.resolved }.count
        if all { say("\(open) open, \(items.count - open) settled") }
        if open > 0 {
            say("settle one with: engage resolve ID --keep current|other, or --value V (an id prefix of 6+ characters is enough)")
        }
    }

    /// A value cut to 40 characters for the table (the JSON keeps it whole).
    static func short(_ text: String) -> String { text.count > 40 ? String(text.prefix(39)) + "…" : text }
}

struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Settle a conflict with a normal edit that supersedes both values.")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The conflict's id (from `engage conflicts`) or its first 6 or more characters") var conflictID: String
    @Option(help: "current or other") var keep: String?
    @Option(help: "A new value for the field") var value: String?
    @Flag(help: "Print the settled conflict as JSON") var json = false

    func validate() throws {
        guard (keep == nil) != (value == nil) else {
            throw ValidationError("give exactly one of --keep current|other and --value V")
        }
        if let keep, keep != "current", keep != "other" { throw ValidationError("--keep takes current or other, not '\(keep)'") }
    }

    func run() throws {
        let settlement: Settlement = value.map { .value($0) } ?? (keep == "current" ? .keepCurrent : .keepOther)
        let c = try database.openExisting().resolve(conflict: conflictID, settlement)
        if json { return try printJSON(["id": c.id, "activityId": c.activityId, "field": c.field, "state": "settled"]) }
        say("resolved \(c.id): \(c.field) of \(c.activityId.prefix(8)) settled")
    }
}
