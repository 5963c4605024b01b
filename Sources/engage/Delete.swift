import ArgumentParser
import EngageModel
import EngageStorage
import EngageStore
import Foundation

struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete an activity. Nothing is destroyed: `engage restore` brings it back.")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The activity's id or its first 6 or more characters") var id: String
    @Flag(help: "Print the deleted activity as JSON") var json = false

    func run() throws {
        let store = try database.openExisting()
        let activity = try store.delete(try store.resolveID(id))
        if json { return try printJSON(activity) }
        say(
            "deleted \(activity.id.uuidString.lowercased()) (engage restore \(activity.id.uuidString.lowercased().prefix(8)) undoes it)"
        )
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Restore a deleted activity with all its fields.")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The activity's id or its first 6 or more characters") var id: String
    @Flag(help: "Print the restored activity as JSON") var json = false

    func run() throws {
        let store = try database.openExisting()
        let activity = try store.restore(try store.resolveID(id))
        if json { return try printJSON(activity) }
        say("restored \(activity.id.uuidString.lowercased())")
    }
}
