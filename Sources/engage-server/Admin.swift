import ArgumentParser
import EngageHubPostgres
import EngageImport
import EngageModel
import EngageServer
import EngageStorage
import Foundation

struct EnrollDevice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll", abstract: "Create a one-time enrolment code (valid 72 hours) for a device.")

    @OptionGroup var database: ServerDatabase
    @Option(help: "Who or what the device is, e.g. \"Lima advisor tablet\"") var name: String
    @Option(help: "The post, e.g. LIMA") var post: String
    @Option(help: "advisor, hq or admin") var role: String
    @Flag(help: "Print the result as JSON") var json = false

    func validate() throws {
        guard DeviceRecord.Role(rawValue: role) != nil else {
            throw ValidationError("--role takes advisor, hq or admin, not '\(role)'")
        }
        guard Activity.isValidPost(post.uppercased()) else {
            throw ValidationError("--post '\(post)' is not a post code; e.g. LIMA")
        }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError("--name is empty; name the device")
        }
    }

    func run() async throws {
        let enrolment = try await database.with { store in
            try await Administration.createEnrolment(
                store: store, name: name, post: post.uppercased(), role: DeviceRecord.Role(rawValue: role)!)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            print(
                String(
                    decoding: try encoder.encode(["code": enrolment.code, "expiresAt": String(enrolment.expiresAt)]),
                    as: UTF8.self))
        } else {
            print(enrolment.code)
        }
    }
}

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List or revoke enrolled devices.", subcommands: [ListDevices.self, Revoke.self])

    struct ListDevices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List enrolled devices.")
        @OptionGroup var database: ServerDatabase
        @Flag(help: "Print the result as JSON") var json = false

        func run() async throws {
            let devices = try await database.with { try await $0.devices() }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                return print(TextRules.displayableJSON(String(decoding: try encoder.encode(devices), as: UTF8.self)))
            }
            for d in devices {
                let seen =
                    d.lastSeen.map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double($0) / 1000)) }
                    ?? "never"
                // Names come from whoever enrolled the device (an older version took any text): shown, not obeyed.
                let lineage = d.parentId.map { "  (copy of \($0))" } ?? ""
                print(
                    [d.id, d.role.rawValue, d.post, d.revoked ? "revoked" : "active", seen, TextRules.displayable(d.name)].joined(
                        separator: "  ")
                        + lineage)
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a device; its next request is refused. It keeps its local data.")
        @OptionGroup var database: ServerDatabase
        @Argument(help: "The device id (or a unique prefix)") var deviceID: String

        func run() async throws {
            let (device, all) = try await database.with { store in
                (try await store.revoke(deviceId: deviceID), try await store.devices())
            }
            print("revoked \(device.id) (\(TextRules.displayable(device.name)))")
            // Copies of its database (new identities after identity_conflict) and the enrolment
            // they came from go with it: one lineage, one decision.
            let others = Self.lineage(of: device.id, in: all).subtracting([device.id]).sorted()
            if !others.isEmpty { print("also revoked, as copies of the same enrolment: \(others.joined(separator: ", "))") }
        }

        /// The ids of every device of `id`'s lineage: its root enrolment and every copy below it.
        static func lineage(of id: String, in devices: [DeviceRecord]) -> Set<String> {
            let parent = Dictionary(devices.map { ($0.id, $0.parentId) }, uniquingKeysWith: { a, _ in a })
            var root = id
            while let up = parent[root] ?? nil { root = up }
            var found: Set<String> = [root]
            var frontier = [root]
            while let next = frontier.popLast() {
                for d in devices where d.parentId == next && found.insert(d.id).inserted { frontier.append(d.id) }
            }
            return found
        }
    }
}

struct ImportData: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load a partner registry or activities (Engage JSON), or public records (--format fa-gov or iati).",
        discussion: """
            Loading the same file again changes nothing. Activities whose id exists are left as they are; an entry \
            without an id gets one derived from its contents, the same each time. With --format, each source record \
            becomes one activity of --post, its id derived from the source's own identifier, and a mapping report says \
            per record what was mapped, guessed (and why) and skipped (and why): see docs/importing.md.
            """)

    @OptionGroup var database: ServerDatabase
    @Argument(
        help: "The file: Engage JSON (activities or partners), or with --format a ForeignAssistance.gov CSV or IATI XML file")
    var file: String
    @Option(help: "fa-gov (a ForeignAssistance.gov country export, CSV) or iati (an IATI activity file, XML)") var format:
        ImportFormat?
    @Option(help: "With --format: the post the imported activities belong to, e.g. SAN-SALVADOR") var post: String?
    @Flag(help: "With --format: map and report, change nothing") var dryRun = false
    @Option(help: "With --format: write the mapping report to this file (JSON when it ends in .json, else text)") var report:
        String?

    func validate() throws {
        if format == nil, post != nil || dryRun || report != nil {
            throw ValidationError("--post, --dry-run and --report go with --format fa-gov or --format iati")
        }
        if format != nil {
            guard let post else {
                throw ValidationError(
                    "--format needs --post: the post the imported activities belong to, e.g. --post SAN-SALVADOR")
            }
            guard Activity.isValidPost(post.uppercased()) else {
                throw ValidationError("--post '\(post)' is not a post code: 2 to 32 letters, digits and '-', e.g. SAN-SALVADOR")
            }
        }
    }

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read '\(file)'") }
        if let format, let post { return try await importRecords(data, format: format, post: post.uppercased()) }
        // A registry entry has an agencyType; anything else is read as activities, so a bad
        // entry is reported with its activity error (entry, field and rule).
        let isRegistry = (try? JSONSerialization.jsonObject(with: data) as? [[String: Any]])?.first?["agencyType"] != nil
        let partners: [Partner]
        let activities: [Activity]
        do {
            if isRegistry {
                partners = try JSONDecoder().decode([Partner].self, from: data)
                activities = []
            } else {
                activities = try ActivityFile.decode(data)
                partners = []
            }
        } catch let error as DecodingError {
            throw ValidationError(
                "'\(file)' is not \(isRegistry ? "a partners file (like samples/partners.json)" : "an activities file (like samples/activities.json)"): "
                    + "\(error.readableDescription); for public records give --format fa-gov or --format iati; nothing was imported"
            )
        } catch let error as CocoaError where error.code == .propertyListReadCorrupt {
            throw ValidationError(
                "'\(file)' is not JSON; for public records give --format fa-gov or --format iati; nothing was imported")
        }
        try await database.with { store in
            if !isRegistry {
                let result = try await store.importActivities(activities)
                return print("imported \(result.created) activities (\(result.existing) already present)")
            }
            let changed = try await store.importPartners(partners)
            print("imported \(partners.count) partners (\(changed) new or changed)")
        }
    }

    func importRecords(_ data: Data, format: ImportFormat, post: String) async throws {
        do { try MappingOutput.check(report, against: [database.path, file]) } catch let error as ImportError {
            throw ValidationError(error.description + "; nothing was imported")
        }
        // A dry run creates no database: without one, it maps with the bundled registry.
        if dryRun && !database.exists { return try await importRecords(data, format: format, post: post, into: nil) }
        try await database.with { try await importRecords(data, format: format, post: post, into: $0) }
    }

    func importRecords(_ data: Data, format: ImportFormat, post: String, into store: (any HubStorage)?) async throws {
        let registry = if let store { try await store.partnerRegistry() } else { PartnerRegistry(try BundledData.partners()) }
        let mapping: MappingReport
        do {
            mapping = try format.read(data, post: post, registry: registry, today: Day.today)
            try MappingOutput.write(mapping, to: report)
        } catch let error as ImportError {
            throw ValidationError("'\(file)': \(error.description); nothing was imported")
        }
        let unknown = mapping.unknownPartners
        if !unknown.isEmpty {
            FileHandle.standardError.write(
                Data(
                    ("warning: \(unknown.count) partner names are not in the registry (kept as written; add them, or aliases, with a partners file): "
                        + mapping.unknownPartnersShown + "\n").utf8))
        }
        guard let store, !dryRun else {
            if report == nil { print(TextRules.displayable(mapping.text, keepingLines: true), terminator: "") }
            return print("dry run: \(mapping.summary); nothing was imported")
        }
        let result = try await store.importActivities(mapping.activities)
        print(
            "imported \(result.created) activities (\(result.existing) already present) from \(mapping.summary)"
                + (report.map { "; mapping report in \($0)" } ?? "; give --report FILE for the mapping report"))
    }
}

extension ImportFormat: ExpressibleByArgument {}

struct Restored: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "After restoring the PostgreSQL database from a backup: give the hub a new generation.",
        discussion: """
            A dump brings back the generation it was taken with, so devices would not notice that the hub lost \
            what came after the backup. With a new one, each device starts over at its next sync and sends again \
            what it holds (docs/replication.md, "Generations"). Run it with the servers stopped, then start them. \
            A SQLite hub does this by itself when a backup copy is opened.
            """)

    @OptionGroup var database: ServerDatabase

    func validate() throws {
        guard database.url != nil else {
            throw ValidationError(
                "a SQLite backup takes a new generation by itself when it is opened; this is for --database-url (PostgreSQL)")
        }
    }

    func run() async throws {
        let generation = try await database.with { hub in
            guard let hub = hub as? PostgresHub else { throw ValidationError("this is for --database-url (PostgreSQL)") }
            return try await hub.takeNewGeneration()
        }
        print("the hub's generation is now \(generation); start the servers, and devices send again what the restore lost")
    }
}
