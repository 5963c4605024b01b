import ArgumentParser
import EngageModel
import EngageStorage
import EngageStore
import Foundation

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show this device: node id, counts, pending changes.")

    @OptionGroup var database: DatabaseOptions
    @Flag var json = false

    func run() throws {
        let s = try database.openExisting().status()
        if json { return try printJSON(s) }
        say(
            """
            node          \(s.nodeId)
            database      \(database.path)
            activities    \(s.activities) (\(s.deleted) deleted)
            partners      \(s.partners)
            conflicts     \(s.openConflicts) open
            pending       \(s.pendingChanges) local changes not yet synced
            server        \(s.serverURL ?? "not enrolled") (cursor \(s.serverCursor))
            last sync     \(s.lastSync ?? "never")
            clock offset  \(s.clockOffsetMs) ms from the server
            rejected      \(s.rejectedChanges) changes refused by the server
            """)
        if abs(s.clockOffsetMs) > 120_000 {
            warn("this device's clock is \(s.clockOffsetMs / 1000) s off the server's; stamps are corrected, but set the clock")
        }
    }
}
