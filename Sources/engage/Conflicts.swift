import EngageModel
import Foundation
import ArgumentParser
import EngageCore
import EngageStore

struct Conflicts: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List open conflicts: concurrent edits that need a decision.")

    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Include settled conflicts") var all = false
    @Flag var json = false

    struct Side: Encodable { var value: FieldValue; var by: String; var at: String }
    struct Item: Encodable {
        var id: String, activityId: String, field: String, current: Side, other: Side, resolved: Bool
    }

    func run() throws {
        let items = try database.open().conflicts(includeResolved: all).map { c in
            Item(id: c.id, activityId: c.activityId, field: c.field,
                 current: Side(value: c.current.value, by: c.current.author.rawValue, at: c.current.stamp.encoded),
                 other: Side(value: c.other.value, by: c.other.author.rawValue, at: c.other.stamp.encoded),
                 resolved: c.resolved)
        }
        if json { return try printJSON(items) }
        if items.isEmpty { return print("no open conflicts") }
        print(Table.render(
            header: ["ID", "ACTIVITY", "FIELD", "CURRENT (kept)", "OTHER", "OTHER BY"],
            rows: items.map { [$0.id, String($0.activityId.prefix(8)), $0.field, "\($0.current.value)", "\($0.other.value)", $0.other.by] }))
        print("settle one with: engage resolve ID --keep current|other, or --value V")
    }
}

struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Settle a conflict with a normal edit that supersedes both values.")

    @OptionGroup var database: DatabaseOptions
    @Argument var conflictID: String
    @Option(help: "current or other") var keep: String?
    @Option(help: "A new value for the field") var value: String?

    func validate() throws {
        guard (keep == nil) != (value == nil) else { throw ValidationError("give exactly one of --keep current|other and --value V") }
        if let keep, keep != "current", keep != "other" { throw ValidationError("--keep takes current or other, not '\(keep)'") }
    }

    func run() throws {
        let settlement: Settlement = value.map { .value($0) } ?? (keep == "current" ? .keepCurrent : .keepOther)
        let c = try database.open().resolve(conflict: conflictID, settlement)
        print("resolved \(c.id): \(c.field) of \(c.activityId.prefix(8)) settled")
    }
}
