import Foundation
import ArgumentParser
import EngageModel
import EngageStore

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record a new activity; prints its id.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: ArgumentHelp("One of: \(Allowed.kinds)")) var kind: String
    @Option var title: String
    @Option(help: "ISO 3166-1 alpha-2 code, e.g. PE") var country: String
    @Option(help: "YYYY-MM-DD") var start: String
    @Option(help: "YYYY-MM-DD") var end: String?
    @Option(help: "Your post code, e.g. LIMA") var post: String?
    @Option var location: String?
    @Option(name: .customLong("partner"), help: "A partner agency (registry code or name); repeatable") var partners: [String] = []
    @Option(name: .customLong("goal"), help: ArgumentHelp("A strategic goal: \(Allowed.goals); repeatable")) var goals: [Int] = []
    @Option var participants: Int?
    @Option(help: ArgumentHelp("One of: \(Allowed.statuses)")) var status: String?
    @Option var notes: String?
    @Option(help: ArgumentHelp("One of: \(Allowed.sensitivities)")) var sensitivity: String?
    @Flag(help: "Print the activity as JSON") var json = false

    func run() throws {
        var activity = Activity(
            kind: try Parse.kind(kind)!, title: title, country: try Parse.country(country)!,
            location: location, post: try Parse.post(post) ?? "", partners: Set(partners), goals: try Parse.goals(goals),
            startDate: try Parse.day(start, "startDate")!, endDate: try Parse.day(end, "endDate"),
            status: try Parse.status(status) ?? .planned, participants: participants, notes: notes ?? "",
            sensitivity: try Parse.sensitivity(sensitivity) ?? .unclassified)
        try activity.validate()
        let store = try database.open()
        activity = try store.log(activity)
        for warning in try store.partnerRegistry().warnings(for: activity.partners) { warn(warning) }
        if json { try printJSON(activity) } else { print(activity.id.uuidString.lowercased()) }
    }
}
