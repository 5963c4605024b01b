import ArgumentParser
import EngageModel
import Foundation

@main
struct Engage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engage",
        abstract: "Log engagements with partner agencies, offline first.",
        discussion: "The database is --db PATH, else $ENGAGE_DB, else ~/.engage/device.sqlite.",
        version: "0.1.0",
        subcommands: [
            Log.self, List.self, Show.self, Edit.self, Delete.self, Restore.self, Partners.self, Import.self,
            Status.self, Conflicts.self, Resolve.self, Refused.self, Enroll.self, Sync.self, History.self, HQ.self,
        ]
    )

    /// Every file this program creates (the device database and its WAL, exports, reports,
    /// recordings) is readable by its owner only: activity data and the device's token.
    /// Errors are reported as ArgumentParser does, their control characters made visible.
    static func main() async {
        umask(0o077)
        do {
            var command = try parseAsRoot(nil)
            if var command = command as? any AsyncParsableCommand { try await command.run() } else { try command.run() }
        } catch {
            exitShowing(error)
        }
    }
}
