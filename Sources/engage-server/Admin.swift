import ArgumentParser
import EngageModel
import EngageServer
import EngageStore
import Foundation

struct EnrollDevice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll", abstract: "Create a one-time enrolment code (valid 72 hours) for a device.")

    @OptionGroup var database: ServerDatabase
    @Option(help: "Who or what the device is, e.g. \"Lima advisor tablet\"") var name: String
    @Option(help: "The post, e.g. LIMA") var post: String
    @Option(help: "advisor, hq or admin") var role: String
    @Flag(help: "Print the result as JSON") var json = false

    func validate() throws {
        guard DeviceRecord.Role(rawValue: role) != nil else { throw ValidationError("--role takes advisor, hq or admin, not '\(role)'") }
        guard Activity.isValidPost(post.uppercased()) else { throw ValidationError("--post '\(post)' is not a post code; e.g. LIMA") }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--name is empty; name the device") }
    }

    func run() throws {
        let store = try openHubStore(path: database.path)
        let enrolment = try Administration.createEnrolment(
            store: store, name: name, post: post.uppercased(), role: DeviceRecord.Role(rawValue: role)!)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            print(String(decoding: try encoder.encode(["code": enrolment.code, "expiresAt": String(enrolment.expiresAt)]), as: UTF8.self))
        } else {
            print(enrolment.code)
        }
    }
}

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List or revoke enrolled devices.", subcommands: [ListDevices.self, Revoke.self])

    struct ListDevices: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List enrolled devices.")
        @OptionGroup var database: ServerDatabase
        @Flag(help: "Print the result as JSON") var json = false

        func run() throws {
            let devices = try openHubStore(path: database.path).devices()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                return print(String(decoding: try encoder.encode(devices), as: UTF8.self))
            }
            for d in devices {
                let seen = d.lastSeen.map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double($0) / 1000)) } ?? "never"
                print([d.id, d.role.rawValue, d.post, d.revoked ? "revoked" : "active", seen, d.name].joined(separator: "  "))
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a device; its next request is refused. It keeps its local data.")
        @OptionGroup var database: ServerDatabase
        @Argument(help: "The device id (or a unique prefix)") var deviceID: String

        func run() throws {
            let device = try openHubStore(path: database.path).revoke(deviceId: deviceID)
            print("revoked \(device.id) (\(device.name))")
        }
    }
}

struct ImportData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load a partner registry (like samples/partners.json) or activities (like samples/activities.json).",
        discussion: """
            Loading the same file again changes nothing. Activities whose id exists are left as they are; an entry \
            without an id gets one derived from its contents, the same each time.
            """)

    @OptionGroup var database: ServerDatabase
    @Argument var file: String

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read '\(file)'") }
        let store = try openHubStore(path: database.path)
        if let activities = try? ActivityFile.decode(data) {
            let result = try store.importActivities(activities)
            return print("imported \(result.created) activities (\(result.existing) already present)")
        }
        guard let partners = try? JSONDecoder().decode([Partner].self, from: data) else {
            throw ValidationError(
                "'\(file)' is neither an activities file (like samples/activities.json) nor a partners file (like samples/partners.json); nothing was imported")
        }
        let changed = try store.importPartners(partners)
        print("imported \(partners.count) partners (\(changed) new or changed)")
    }
}
