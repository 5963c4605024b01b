import ArgumentParser
import EngageImport
import EngageModel
import EngageStorage
import EngageStore
import Foundation

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import activities: a JSON file (like samples/activities.json), or public records (--format fa-gov or iati).",
        discussion: """
            Activities whose id already exists are left untouched, so importing twice creates no duplicates; an entry \
            without an id gets one derived from its contents, the same each time. With --format, each source record \
            becomes one activity of this device's post (or --post), its id derived from the source's own identifier, and \
            a mapping report says per record what was mapped, guessed (and why) and skipped (and why): see docs/importing.md.
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument var file: String
    @Option(help: "fa-gov (a ForeignAssistance.gov country export, CSV) or iati (an IATI activity file, XML)") var format:
        ImportFormat?
    @Option(help: "With --format: the post of the activities (default: the post this device is enrolled for)") var post: String?
    @Flag(help: "With --format: map and report, change nothing") var dryRun = false
    @Option(help: "With --format: write the mapping report to this file (JSON when it ends in .json, else text)") var report:
        String?
    @Flag var json = false

    struct Summary: Encodable {
        var created: Int
        var existing: Int
        var skipped: Int?
    }

    func validate() throws {
        if format == nil, post != nil || dryRun || report != nil {
            throw ValidationError("--post, --dry-run and --report go with --format fa-gov or --format iati")
        }
        if let post, !Activity.isValidPost(post.uppercased()) {
            throw ValidationError("--post '\(post)' is not a post code: 2 to 32 letters, digits and '-', e.g. LIMA")
        }
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError(
                "cannot read '\(file)'; give the path of an activities JSON file (or, with --format, a CSV or XML file)")
        }
        if let format { return try importRecords(data, format: format) }
        let activities: [Activity]
        do { activities = try ActivityFile.decode(data) } catch {
            let why = (error as? DecodingError)?.readableDescription ?? "not JSON"
            throw ValidationError(
                "'\(file)' is not an activities JSON file: \(why); for public records give --format fa-gov or --format iati; nothing was imported"
            )
        }
        let store = try database.open()
        let result = try store.importActivities(activities)
        let registry = try store.partnerRegistry()
        let unknown = Set(activities.flatMap(\.partners)).filter { registry.lookup($0) == nil }
        for warning in registry.warnings(for: unknown) { warn(warning) }
        if json { return try printJSON(Summary(created: result.created, existing: result.existing)) }
        say("imported \(result.created) activities (\(result.existing) already present)")
    }

    func importRecords(_ data: Data, format: ImportFormat) throws {
        do { try MappingOutput.check(report, against: [database.path, file]) } catch let error as ImportError {
            throw ValidationError(error.description + "; nothing was imported")
        }
        // A dry run creates no database: without one, it maps with the bundled registry.
        let store = dryRun && !FileManager.default.fileExists(atPath: database.path) ? nil : try database.open()
        let enrolled = try store?.enrollment()?.post
        guard let post = post?.uppercased() ?? enrolled else {
            throw ValidationError("this device is not enrolled for a post; give --post, e.g. --post LIMA")
        }
        let registry = try store?.partnerRegistry() ?? PartnerRegistry(try DeviceStore.bundledPartners())
        let mapping: MappingReport
        do {
            mapping = try format.read(data, post: post, registry: registry, today: Day.today)
            try MappingOutput.write(mapping, to: report)
        } catch let error as ImportError {
            throw ValidationError("'\(file)': \(error.description); nothing was imported")
        }
        let unknown = mapping.unknownPartners
        if !unknown.isEmpty {
            warn(
                "\(unknown.count) partner names are not in the registry (kept as written; see `engage partners`): "
                    + mapping.unknownPartnersShown)
        }
        let skipped = mapping.records.filter(\.skipped).count
        if dryRun {
            if json { return try printJSON(mapping) }
            if report == nil { say(mapping.text, terminator: "") }
            return say("dry run: \(mapping.summary); nothing was imported")
        }
        guard let store else { return }
        let result = try store.importActivities(mapping.activities)
        if json { return try printJSON(Summary(created: result.created, existing: result.existing, skipped: skipped)) }
        say(
            "imported \(result.created) activities (\(result.existing) already present) from \(mapping.summary)"
                + (report.map { "; mapping report in \($0)" } ?? "; give --report FILE for the mapping report"))
    }
}

extension ImportFormat: ExpressibleByArgument {}
