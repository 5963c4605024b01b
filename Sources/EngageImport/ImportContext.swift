import EngageModel
import Foundation

/// What both importers map with: the post the activities belong to, the partner registry names
/// are resolved through, and the day statuses are judged on.
public struct ImportContext: Sendable {
    public var post: String
    public var registry: PartnerRegistry
    /// The day statuses are judged on (records whose end has passed are completed).
    public var today: Day

    public init(post: String, registry: PartnerRegistry, today: Day) {
        self.post = post
        self.registry = registry
        self.today = today
    }

    /// Adds a partner named `name` to `activity`: the registry entry's code when the registry
    /// knows the name (by code, name or alias), else the name as written, noted once.
    func addPartner(_ name: String, _ activity: inout Activity, _ r: inout MappingReport.Record, role: String = "") {
        if let p = registry.lookup(name) {
            activity.partners.insert(p.code)
            r.mapped("partners", "'\(name)'\(role) is \(p.code) in the registry")
        } else {
            activity.partners.insert(Guesses.clean(Guesses.line(name), limit: TextRules.maxPartner))
            r.unknownPartners.append(name)
            r.mapped("partners", "'\(name)'\(role) as written: not in the registry")
        }
    }

    /// Goals and participants guessed from a record's texts, its notes, and the model's check:
    /// the activity when it passes, else the record skipped naming the field and the rule.
    func finish(
        _ activity: inout Activity, _ r: inout MappingReport.Record, goalTexts: [String], from: String, title: String,
        notes: [String]
    ) {
        if let goals = Guesses.goals(goalTexts) {
            activity.goals = goals.0
            r.guessed("goals", "\(goals.1), from \(from)")
        }
        if let (n, why) = Guesses.participants(inTitle: title) {
            activity.participants = n
            r.guessed("participants", why)
        }
        activity.notes = Guesses.clean(notes.joined(separator: "\n\n"), limit: TextRules.maxNotes)
        do { try activity.validate() } catch {
            r.skipped("record", "\(error.field): \(error.message)")
            return
        }
        r.activity = activity
    }
}
