import Foundation
import ArgumentParser
import EngageModel
import EngageStore

struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Change fields of an activity; only what you name changes.")

    @OptionGroup var database: DatabaseOptions
    @Argument var id: String
    @Option var title: String?
    @Option var kind: String?
    @Option var country: String?
    @Option(help: "A location (\"\" clears it)") var location: String?
    @Option var post: String?
    @Option var start: String?
    @Option(help: "YYYY-MM-DD (\"\" clears it)") var end: String?
    @Option var status: String?
    @Option(help: "A number (-1 clears it)") var participants: Int?
    @Option var notes: String?
    @Option var sensitivity: String?
    @Option(name: .customLong("add-partner")) var addPartners: [String] = []
    @Option(name: .customLong("remove-partner")) var removePartners: [String] = []
    @Option(name: .customLong("add-goal")) var addGoals: [Int] = []
    @Option(name: .customLong("remove-goal")) var removeGoals: [Int] = []
    @Flag var json = false

    func run() throws {
        // Parse everything before touching the database.
        let kind = try Parse.kind(kind), country = try Parse.country(country), post = try Parse.post(post)
        let start = try Parse.day(start, "startDate"), status = try Parse.status(status)
        let sensitivity = try Parse.sensitivity(sensitivity)
        let end = try end.flatMap { $0.isEmpty ? nil : try Parse.day($0, "endDate") }
        let addGoals = try Parse.goals(addGoals), removeGoals = try Parse.goals(removeGoals)
        let store = try database.open()
        let activity = try store.edit(try store.resolveID(id)) { a in
            if let title { a.title = title }
            if let kind { a.kind = kind }
            if let country { a.country = country }
            if let location { a.location = location.isEmpty ? nil : location }
            if let post { a.post = post }
            if let start { a.startDate = start }
            if self.end != nil { a.endDate = end }
            if let status { a.status = status }
            if let participants { a.participants = participants == -1 ? nil : participants }
            if let notes { a.notes = notes }
            if let sensitivity { a.sensitivity = sensitivity }
            a.partners.formUnion(addPartners)
            a.partners.subtract(removePartners)
            a.goals.formUnion(addGoals)
            a.goals.subtract(removeGoals)
        }
        for warning in try store.partnerRegistry().warnings(for: Set(addPartners)) { warn(warning) }
        if json { try printJSON(activity) } else { print("updated \(activity.id.uuidString.lowercased())") }
    }
}
