import ArgumentParser
import EngageModel
import EngageStorage
import EngageStore
import Foundation

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one activity (by id or a unique prefix of 6+ characters).")

    @OptionGroup var database: DatabaseOptions
    @Argument var id: String
    @Flag var json = false

    func run() throws {
        let store = try database.openExisting()
        let a = try store.activity(try store.resolveID(id))
        if json { return try printJSON(a) }
        let lines: [(String, String)] = [
            ("id", a.id.uuidString.lowercased()), ("title", a.title), ("kind", a.kind.rawValue),
            ("country", a.countries.map { "\($0.code) (\($0.name))" }.joined(separator: ", ")), ("location", a.location ?? "—"),
            ("post", a.post),
            ("partners", a.partners.sorted().joined(separator: ", ")),
            ("goals", a.goals.sorted().map { "\($0.rawValue)" }.joined(separator: ", ")),
            (
                "dates",
                a.startDate.text(a.datePrecision) + (a.endDate.map { " – \($0.text(a.datePrecision))" } ?? "")
                    + (a.datePrecision == .day ? "" : " (known to the \(a.datePrecision.rawValue))")
            ), ("status", a.status.rawValue),
            ("participants", a.participants.map(String.init) ?? "—"), ("amount", a.amount?.description ?? "—"),
            ("sensitivity", a.sensitivity.rawValue),
            ("notes", a.notes), ("deleted", a.deleted ? "yes (engage restore \(a.id.uuidString.lowercased().prefix(8)))" : "no"),
        ]
        for (key, value) in lines {
            // Notes keep their lines; every other value is shown on its one line.
            say(
                "\(key.padding(toLength: 13, withPad: " ", startingAt: 0))\(key == "notes" ? value : TextRules.displayable(value))"
            )
        }
    }
}
