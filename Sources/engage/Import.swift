import ArgumentParser
import EngageModel
import EngageStore
import Foundation

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import activities from a JSON file (an array of activities, e.g. samples/activities.json).",
        discussion: """
            Activities whose id already exists are left untouched, so importing twice creates no duplicates; an entry \
            without an id gets one derived from its contents, the same each time.
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument var file: String
    @Flag var json = false

    struct Summary: Encodable { var created: Int; var existing: Int }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("cannot read '\(file)'; give the path of an activities JSON file")
        }
        let activities: [Activity]
        do { activities = try ActivityFile.decode(data) } catch {
            throw ValidationError("'\(file)' is not an activities JSON file: \((error as? DecodingError)?.readableDescription ?? "not JSON"); nothing was imported")
        }
        let store = try database.open()
        let result = try store.importActivities(activities)
        let registry = try store.partnerRegistry()
        let unknown = Set(activities.flatMap(\.partners)).filter { registry.lookup($0) == nil }
        for warning in registry.warnings(for: unknown) { warn(warning) }
        if json { return try printJSON(Summary(created: result.created, existing: result.existing)) }
        print("imported \(result.created) activities (\(result.existing) already present)")
    }
}
