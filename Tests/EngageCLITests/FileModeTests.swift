import EngageTestSupport
import Foundation
import Testing

/// Files holding activity data or secrets are readable by their owner only, however they are
/// made: by the executables (`stat` on what they wrote), and when an older version left them open.
@Suite(.serialized) struct FileModeTests {
    let dir: TemporaryDirectory

    init() throws { dir = try TemporaryDirectory() }

    /// The permission bits of `path` (nil when it does not exist).
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o777 : nil
    }

    /// Every file of `paths` that exists is owner-only; at least the first one exists.
    static func expectOwnerOnly(_ paths: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(mode(paths[0]) != nil, "\(paths[0]) was not written", sourceLocation: sourceLocation)
        for path in paths {
            if let m = mode(path) { #expect(m & 0o077 == 0, "\(path) is \(String(m, radix: 8))", sourceLocation: sourceLocation) }
        }
    }

    func run(_ name: String, _ args: [String], environment: [String: String] = [:]) throws -> Executables.Result {
        let r = try Executables.run(name, args, environment: environment)
        #expect(r.status == 0, "\(name) \(args.joined(separator: " ")): \(r.stderr)")
        return r
    }

    func code(_ hub: String, post: String = "LIMA", role: String = "advisor") throws -> String {
        let r = try run("engage-server", ["enroll", "--db", hub, "--name", "tablet", "--post", post, "--role", role, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: String]
        return try #require(object?["code"])
    }

    func sqlite(_ path: String) -> [String] { [path, path + "-wal", path + "-shm"] }

    /// The hub's database, a recording, a device's database, its recording, HQ exports, an HTML
    /// report and a mapping report: all 0600 as the executables make them.
    @Test func everyFileTheExecutablesWriteIsOwnerOnly() throws {
        defer { dir.remove() }
        let hub = dir.path("hub.sqlite")
        let hq = dir.path("hq.sqlite")
        let advisor = dir.path("advisor.sqlite")
        let hqCode = try code(hub, post: "HQ", role: "hq")
        let advisorCode = try code(hub)
        Self.expectOwnerOnly(sqlite(hub))
        let server = try ServerProcess(database: hub, arguments: ["--record", dir.path("server-session.json")])
        defer { server.stop() }
        _ = try run("engage", ["enroll", "--server", server.url, "--code", advisorCode, "--db", advisor])
        _ = try run(
            "engage",
            [
                "log", "--kind", "training", "--title", "Canine course", "--country", "TZ", "--start", "2026-03-02",
                "--post", "LIMA", "--db", advisor,
            ])
        _ = try run("engage", ["sync", "--db", advisor, "--record", dir.path("device-session.json")])
        _ = try run("engage", ["enroll", "--server", server.url, "--code", hqCode, "--db", hq])
        _ = try run("engage", ["hq", "pull", "--db", hq])
        Self.expectOwnerOnly(sqlite(advisor))
        Self.expectOwnerOnly(sqlite(hq))
        Self.expectOwnerOnly([dir.path("server-session.json")])
        Self.expectOwnerOnly([dir.path("device-session.json")])
        for format in ["csv", "ndjson", "json"] {
            _ = try run("engage", ["hq", "export", "--format", format, "--out", dir.path("export.\(format)"), "--db", hq])
            Self.expectOwnerOnly([dir.path("export.\(format)")])
        }
        _ = try run("engage", ["hq", "report", "--html", dir.path("report.html"), "--db", hq])
        Self.expectOwnerOnly([dir.path("report.html")])
        let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("samples/iati-sample.xml").path
        do {
            _ = try run(
                "engage",
                [
                    "import", sample, "--format", "iati", "--post", "LIMA", "--dry-run", "--report", dir.path("mapping.json"),
                    "--db", advisor,
                ])
            Self.expectOwnerOnly([dir.path("mapping.json")])
            _ = try run(
                "engage-server",
                [
                    "import", sample, "--format", "iati", "--post", "LIMA", "--dry-run", "--report", dir.path("hub-mapping.txt"),
                    "--db", hub,
                ])
            Self.expectOwnerOnly([dir.path("hub-mapping.txt")])
        }
    }

    /// A database, its WAL, and a report an older version left readable by all are made
    /// owner-only when the executables open or rewrite them.
    @Test func filesLeftOpenByAnOlderVersionAreTightened() throws {
        defer { dir.remove() }
        let hub = dir.path("hub.sqlite")
        let device = dir.path("device.sqlite")
        _ = try code(hub)
        _ = try run(
            "engage",
            [
                "log", "--kind", "training", "--title", "Canine course", "--country", "TZ", "--start", "2026-03-02",
                "--post", "LIMA", "--db", device,
            ])
        for path in sqlite(hub) + sqlite(device) where Self.mode(path) != nil { chmod(path, 0o644) }
        let export = dir.path("export.csv")
        _ = FileManager.default.createFile(atPath: export, contents: Data("old".utf8), attributes: [.posixPermissions: 0o644])
        _ = try run("engage-server", ["devices", "list", "--db", hub])
        _ = try run("engage", ["list", "--db", device])
        _ = try run("engage", ["hq", "export", "--format", "csv", "--out", export, "--db", device])
        Self.expectOwnerOnly(sqlite(hub))
        Self.expectOwnerOnly(sqlite(device))
        Self.expectOwnerOnly([export])
    }
}
