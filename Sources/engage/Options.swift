import ArgumentParser
import EngageClient
import EngageModel
import EngageStorage
import EngageStore
import Foundation

/// Where the device database lives; shared by every subcommand.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "The device database (default: $ENGAGE_DB, else ~/.engage/device.sqlite).")
    var db: String?

    var path: String {
        if let db { return db }
        if let env = ProcessInfo.processInfo.environment["ENGAGE_DB"], !env.isEmpty { return env }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".engage/device.sqlite").path
    }

    /// Opens the device database. `ENGAGE_CLOCK_OFFSET_MS` shifts this device's clock (used to
    /// record sessions of devices whose clock is wrong; the sync corrects it).
    /// Opens a device database that must already exist: a command that only reads or edits
    /// what is there must not create an empty database from a mistyped path and report on it.
    func openExisting() throws -> DeviceStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(
                .file, "no device database at \(path); check --db (or $ENGAGE_DB) — `engage enroll` or `engage log` creates one")
        }
        return try open()
    }

    func open() throws -> DeviceStore {
        let offset = ProcessInfo.processInfo.environment["ENGAGE_CLOCK_OFFSET_MS"].flatMap { Int64($0) } ?? 0
        return try DeviceStore(path: path, physicalMs: { DeviceStore.systemMs() + offset })
    }
}

/// The agency's own certificate authority, for a hub whose certificate it signed.
struct AgencyCAOption: ParsableArguments {
    @Option(
        name: .customLong("ca-cert"),
        help: ArgumentHelp(
            "The agency's CA certificate (PEM) that signed the server's certificate, trusted instead of the system's store.",
            discussion:
                "Given to enroll, it is remembered for later commands; given to sync, it replaces it once the sync went through.",
            valueName: "file"))
    var caCert: String?

    func load() throws -> AgencyCA? { try caCert.map { path throws(ClientError) in try AgencyCA(file: path) } }
}

/// An error found while running a command (not in its arguments): printed as "Error: …",
/// without the usage text.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
