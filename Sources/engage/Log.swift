import ArgumentParser
import EngageModel
import EngageStorage
import EngageStore
import Foundation

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record a new activity; prints its id.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: ArgumentHelp("One of: \(Allowed.kinds)")) var kind: String
    @Option var title: String
    @Option(help: "ISO 3166-1 alpha-2 code, e.g. PE") var country: String
    @Option(help: "YYYY-MM-DD, or YYYY-MM, YYYY-Qn or YYYY when only that is known") var start: String
    @Option(help: "YYYY-MM-DD, or YYYY-MM, YYYY-Qn or YYYY") var end: String?
    @Option(name: .customLong("also-in"), help: "Another country of a regional activity (ISO code); repeatable")
    var otherCountries: [String] = []
    @Option(help: "An obligation or budget: a sum and an ISO 4217 currency, e.g. \"12000 USD\"") var amount: String?
    @Option(help: "Your post code, e.g. LIMA") var post: String?
    @Option var location: String?
    @Option(name: .customLong("partner"), help: "A partner agency (registry code or name); repeatable") var partners: [String] =
        []
    @Option(name: .customLong("goal"), help: ArgumentHelp("A strategic goal: \(Allowed.goals); repeatable")) var goals: [Int] = []
    @Option var participants: Int?
    @Option(help: ArgumentHelp("One of: \(Allowed.statuses)")) var status: String?
    @Option var notes: String?
    @Option(help: ArgumentHelp("One of: \(Allowed.sensitivities)")) var sensitivity: String?
    @Flag(help: "Print the activity as JSON") var json = false

    func run() throws {
        let dates = try Day.periods(start: start, end: end)
        var activity = Activity(
            kind: try Parse.kind(kind)!, title: title, country: try Parse.country(country)!,
            otherCountries: try Parse.countries(otherCountries),
            location: location, post: try Parse.post(post) ?? "", partners: Set(partners), goals: try Parse.goals(goals),
            startDate: dates.start, endDate: dates.end, datePrecision: dates.precision,
            status: try Parse.status(status) ?? .planned, participants: participants, amount: try Parse.amount(amount),
            notes: notes ?? "",
            sensitivity: try Parse.sensitivity(sensitivity) ?? .unclassified)
        try activity.validate()
        let store = try database.open()
        activity = try store.log(activity)
        for warning in try store.partnerRegistry().warnings(for: activity.partners) { warn(warning) }
        if json { try printJSON(activity) } else { say(activity.id.uuidString.lowercased()) }
    }
}
