import EngageModel
import Foundation
import ArgumentParser
import EngageStore

struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete an activity. Nothing is destroyed: `engage restore` brings it back.")

    @OptionGroup var database: DatabaseOptions
    @Argument var id: String

    func run() throws {
        let store = try database.open()
        let activity = try store.delete(try store.resolveID(id))
        print("deleted \(activity.id.uuidString.lowercased()) (engage restore \(activity.id.uuidString.lowercased().prefix(8)) undoes it)")
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Restore a deleted activity with all its fields.")

    @OptionGroup var database: DatabaseOptions
    @Argument var id: String

    func run() throws {
        let store = try database.open()
        let activity = try store.restore(try store.resolveID(id))
        print("restored \(activity.id.uuidString.lowercased())")
    }
}
