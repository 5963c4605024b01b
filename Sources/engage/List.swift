import ArgumentParser
import EngageModel
import EngageStorage
import EngageStore
import Foundation

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List activities, oldest first.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: ArgumentHelp("Only this kind: \(Allowed.kinds)")) var kind: String?
    @Option(help: "Only this country (ISO 3166-1 alpha-2, e.g. PE)") var country: String?
    @Option(help: "Only this post, e.g. LIMA") var post: String?
    @Flag(help: "Include deleted activities") var includeDeleted = false
    @Flag(help: "Print the activities as JSON") var json = false

    func run() throws {
        let filter = ActivityFilter(
            kind: try Parse.kind(kind), country: try Parse.country(country), post: try Parse.post(post),
            includeDeleted: includeDeleted)
        let activities = try database.openExisting().activities(filter)
        if json { return try printJSON(activities) }
        let rows = activities.map { a in
            [
                String(a.id.uuidString.lowercased().prefix(8)), a.startDate.text(a.datePrecision), a.kind.rawValue,
                a.countries.map(\.code).joined(separator: "+"),
                a.post, a.deleted ? "deleted" : a.status.rawValue, a.title,
            ]
        }
        say(Table.render(header: ["ID", "START", "KIND", "CC", "POST", "STATUS", "TITLE"], rows: rows))
    }
}
