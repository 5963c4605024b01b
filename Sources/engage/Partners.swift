import ArgumentParser
import EngageModel
import EngageStorage
import EngageStore
import Foundation

struct Partners: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the partner-agency registry.")

    @OptionGroup var database: DatabaseOptions
    @Option var country: String?
    @Flag var json = false

    func run() throws {
        let partners = try database.openExisting().partners(country: try Parse.country(country))
        if json { return try printJSON(partners) }
        say(
            Table.render(
                header: ["CODE", "CC", "TYPE", "NAME"],
                rows: partners.map { [$0.code, $0.country.code, $0.agencyType, $0.name] }))
    }
}
