import Foundation
import ArgumentParser
import EngageModel
import EngageStore

struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Change fields of an activity; only what you name changes.")

    @OptionGroup var database: DatabaseOptions
    @Argument var id: String
    @Option(help: "A new title") var title: String?
    @Option(help: ArgumentHelp("One of: \(Allowed.kinds)")) var kind: String?
    @Option(help: "ISO 3166-1 alpha-2 code, e.g. PE") var country: String?
    @Option(help: "A location (\"\" clears it)") var location: String?
    @Option(help: "A post code, e.g. LIMA") var post: String?
    @Option(help: "YYYY-MM-DD") var start: String?
    @Option(help: "YYYY-MM-DD (\"\" clears it)") var end: String?
    @Option(help: ArgumentHelp("One of: \(Allowed.statuses)")) var status: String?
    @Option(help: "A number (-1 clears it)") var participants: Int?
    @Option(help: "Free text (\"\" clears it)") var notes: String?
    @Option(help: ArgumentHelp("One of: \(Allowed.sensitivities)")) var sensitivity: String?
    @Option(name: .customLong("add-partner"), help: "A partner agency (registry code or name); repeatable") var addPartners: [String] = []
    @Option(name: .customLong("remove-partner"), help: "A partner to take off; repeatable") var removePartners: [String] = []
    @Option(name: .customLong("add-goal"), help: ArgumentHelp("A strategic goal: \(Allowed.goals); repeatable")) var addGoals: [Int] = []
    @Option(name: .customLong("remove-goal"), help: "A goal number 1–4 to take off; repeatable") var removeGoals: [Int] = []
    @Flag(help: "Print the activity as JSON") var json = false

    func run() throws {
        // Parse everything before touching the database.
        let kind = try Parse.kind(kind), country = try Parse.country(country), post = try Parse.post(post)
        let start = try Parse.day(start, "startDate"), status = try Parse.status(status)
        let sensitivity = try Parse.sensitivity(sensitivity)
        let end = try end.flatMap { $0.isEmpty ? nil : try Parse.day($0, "endDate") }
        let addGoals = try Parse.goals(addGoals), removeGoals = try Parse.goals(removeGoals)
        let store = try database.openExisting()
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
