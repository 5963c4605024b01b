import ArgumentParser
import EngageModel
import EngageStorage
import EngageStore
import Foundation

struct Refused: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the work the server refused, send it again, or discard it.",
        discussion: """
            Refused work stays on this device, with the server's reason, until you act on it. \
            `--resend ID` sends an activity's refused values again as new work (with `--post P`, \
            as post P's: work typed before enrolment for another post, or none); `--discard ID` \
            drops it for good.
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Send this activity's refused work again (its id or first 6+ characters)") var resend: String?
    @Option(help: "With --resend: the post to give the activity (your enrolment's)") var post: String?
    @Option(help: "Discard this activity's refused work for good (its id or first 6+ characters)") var discard: String?
    @Flag(help: "Print the refused work as JSON") var json = false

    func validate() throws {
        if resend != nil && discard != nil { throw ValidationError("give --resend or --discard, not both") }
        if post != nil && resend == nil { throw ValidationError("--post goes with --resend ID") }
    }

    func run() throws {
        let store = try database.openExisting()
        let work = try store.refusedWork()
        /// The one activity with refused work whose id is or starts with `text`.
        func pick(_ text: String) throws -> String {
            let matches = work.map(\.activityId).filter { $0.hasPrefix(text.lowercased()) }
            guard matches.count == 1 else {
                throw ValidationError(
                    matches.isEmpty
                        ? "no refused work on activity '\(text)'; `engage refused` lists it"
                        : "'\(text)' matches several activities with refused work; type more characters")
            }
            return matches[0]
        }
        if let resend {
            let activity = try store.resendRefused(try pick(resend), post: post)
            return say(
                "\(activity.id.uuidString.lowercased()) will be sent again as \(activity.post)'s at the next `engage sync`")
        }
        if let discard {
            let id = try pick(discard)
            let n = try store.discardRefused(id)
            return say("discarded \(n) refused change\(n == 1 ? "" : "s") of \(id)")
        }
        if json { return try printJSON(work) }
        if work.isEmpty { return say("no refused work") }
        for activity in work {
            say("\(activity.activityId):")
            var reasons: [String] = []
            for item in activity.items {
                say("  \(item.field) = \(TextRules.displayable(item.value))  [\(item.code)]")
                let reason = "  \(item.message)"
                if !reasons.contains(reason) { reasons.append(reason) }
            }
            for reason in reasons { say(reason) }
        }
        say("`engage refused --resend ID [--post P]` sends one again; `engage refused --discard ID` drops it")
    }
}
