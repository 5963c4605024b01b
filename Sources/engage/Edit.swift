import ArgumentParser
import EngageModel
import EngageStorage
import EngageStore
import Foundation

struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Change fields of an activity; only what you name changes.")

    @OptionGroup var database: DatabaseOptions
    @Argument var id: String
    @Option(help: "A new title") var title: String?
    @Option(help: ArgumentHelp("One of: \(Allowed.kinds)")) var kind: String?
    @Option(help: "ISO 3166-1 alpha-2 code, e.g. PE") var country: String?
    @Option(help: "A location (\"\" clears it)") var location: String?
    @Option(help: "A post code, e.g. LIMA") var post: String?
    @Option(help: "YYYY-MM-DD, or YYYY-MM, YYYY-Qn or YYYY when only that is known") var start: String?
    @Option(help: "YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY (\"\" clears it)") var end: String?
    @Option(name: .customLong("add-country"), help: "Another country of a regional activity; repeatable") var addCountries:
        [String] = []
    @Option(name: .customLong("remove-country"), help: "A further country to take off; repeatable") var removeCountries:
        [String] = []
    @Option(help: "An obligation or budget, e.g. \"12000 USD\" (\"\" clears it)") var amount: String?
    @Option(help: ArgumentHelp("One of: \(Allowed.statuses)")) var status: String?
    @Option(help: "A number (-1 clears it)") var participants: Int?
    @Option(help: "Free text (\"\" clears it)") var notes: String?
    @Option(help: ArgumentHelp("One of: \(Allowed.sensitivities)")) var sensitivity: String?
    @Option(name: .customLong("add-partner"), help: "A partner agency (registry code or name); repeatable") var addPartners:
        [String] = []
    @Option(name: .customLong("remove-partner"), help: "A partner to take off; repeatable") var removePartners: [String] = []
    @Option(name: .customLong("add-goal"), help: ArgumentHelp("A strategic goal: \(Allowed.goals); repeatable")) var addGoals:
        [Int] = []
    @Option(name: .customLong("remove-goal"), help: "A goal number 1–4 to take off; repeatable") var removeGoals: [Int] = []
    @Flag(help: "Print the activity as JSON") var json = false

    func run() throws {
        // Parse everything before touching the database.
        let kind = try Parse.kind(kind)
        let country = try Parse.country(country)
        let post = try Parse.post(post)
        let start = try Parse.period(start, "startDate")
        let status = try Parse.status(status)
        let sensitivity = try Parse.sensitivity(sensitivity)
        let end = try end.flatMap { $0.isEmpty ? nil : try Parse.period($0, "endDate") }
        // Both dates: one precision, which becomes the activity's. One date alone keeps the other
        // as it is, so it must be given to the activity's precision.
        let dates = try self.start.flatMap { s in self.end.map { e in (s, e) } }.map { s, e in
            try Day.periods(start: s, end: e.isEmpty ? nil : e)
        }
        let addCountries = try Parse.countries(addCountries)
        let removeCountries = try Parse.countries(removeCountries)
        let amount = try amount.flatMap { $0.isEmpty ? nil : try Parse.amount($0) }
        let addGoals = try Parse.goals(addGoals)
        let removeGoals = try Parse.goals(removeGoals)
        let store = try database.openExisting()
        let activity = try store.edit(try store.resolveID(id)) { (a: inout Activity) throws(ModelError) in
            let alone = dates == nil ? (start ?? end) : nil
            if let alone, alone.precision != a.datePrecision {
                throw ModelError(
                    field: start != nil ? "startDate" : "endDate",
                    message:
                        "this activity's dates are known to the \(a.datePrecision.rawValue), and the date given is to the \(alone.precision.rawValue); "
                        + "give --start and --end together to change the precision")
            }
            if let title { a.title = title }
            if let kind { a.kind = kind }
            if let country { a.country = country }
            if let location { a.location = location.isEmpty ? nil : location }
            if let post { a.post = post }
            if let dates { (a.startDate, a.endDate, a.datePrecision) = (dates.start, dates.end, dates.precision) }
            if let start, self.end == nil { a.startDate = start.first }
            if let text = self.end, start == nil { a.endDate = text.isEmpty ? nil : end?.last }
            if self.amount != nil { a.amount = amount }
            a.otherCountries.formUnion(addCountries)
            a.otherCountries.subtract(removeCountries)
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
        if json { try printJSON(activity) } else { say("updated \(activity.id.uuidString.lowercased())") }
    }
}
