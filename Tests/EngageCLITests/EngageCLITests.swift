import EngageTestSupport
import Foundation
import Testing

/// The `engage` executable, run as a subprocess on a temporary database.
@Suite struct EngageCLITests {
    let dir: TemporaryDirectory
    let db: String
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("samples/activities.json").path

    init() throws {
        dir = try TemporaryDirectory()
        db = dir.path("device.sqlite")
    }

    @discardableResult
    func engage(_ args: String..., expect status: Int32 = 0, env: [String: String] = [:]) throws -> Executables.Result {
        try engage(args, expect: status, env: env)
    }

    @discardableResult
    func engage(_ args: [String], expect status: Int32 = 0, env: [String: String] = [:]) throws -> Executables.Result {
        let result = try Executables.run("engage", args + ["--db", db], environment: env)
        #expect(result.status == status, "engage \(args.joined(separator: " ")): \(result.stderr)")
        return result
    }

    func json(_ result: Executables.Result) throws -> Any { try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) }

    /// Every row of every table, dumped by Python's sqlite3 module (an independent reader).
    func fileBytes() throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c", "import sqlite3,sys; print('\\n'.join(sqlite3.connect(sys.argv[1]).iterdump()))", db,
        ]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && data.count > 1_000)
        return String(decoding: data, as: UTF8.self)
    }

    /// With nothing listening at the server's address, `engage` had waited 60 s in silence
    /// (retrying as if the link had dropped). It says so at once.
    @Test func nothingListeningFailsFastAndSaysSo() throws {
        let port = try FreePort.find()
        let started = Date()
        let r = try engage("enroll", "--server", "http://127.0.0.1:\(port)", "--code", "ABCD-EFGH-JKLM", expect: 1)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(r.stderr.contains("nothing answers at") && r.stderr.contains("connection refused"), "\(r.stderr)")
    }

    @Test func logListShowEditDeleteRestore() throws {
        defer { dir.remove() }
        let id = try engage(
            "log", "--kind", "training", "--title", "Canine detection course", "--country", "tz",
            "--start", "2026-03-02", "--end", "2026-03-13", "--post", "DAR-ES-SALAAM", "--partner", "TRA",
            "--goal", "1", "--participants", "10"
        ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(UUID(uuidString: id) != nil)
        let list = try engage("list")
        #expect(list.stdout.contains("Canine detection course") && list.stdout.contains(String(id.prefix(8))))
        let shown = try json(try engage("show", String(id.prefix(8)), "--json")) as! [String: Any]
        #expect(
            shown["country"] as? String == "TZ" && shown["goals"] as? [Int] == [1] && shown["partners"] as? [String] == ["TRA"])
        try engage(
            "edit", String(id.prefix(6)), "--title", "Canine course, phase 2", "--add-goal", "3", "--add-partner", "TPF",
            "--remove-partner", "TRA", "--participants", "12")
        let edited = try json(try engage("show", id, "--json")) as! [String: Any]
        #expect(edited["title"] as? String == "Canine course, phase 2")
        #expect(
            edited["goals"] as? [Int] == [1, 3] && edited["partners"] as? [String] == ["TPF"]
                && edited["participants"] as? Int == 12)
        try engage("delete", String(id.prefix(8)))
        #expect(try (json(try engage("list", "--json")) as! [Any]).isEmpty)
        let withDeleted = try json(try engage("list", "--json", "--include-deleted")) as! [[String: Any]]
        #expect(
            withDeleted.first?["deleted"] as? Bool == true && withDeleted.first?["title"] as? String == "Canine course, phase 2")
        try engage("edit", id, "--title", "x", expect: 1)
        try engage("restore", id)
        #expect(try (json(try engage("list", "--json")) as! [Any]).count == 1)
    }

    @Test func logPrintsTheActivityAsJSONAndWarnsOfUnknownPartners() throws {
        defer { dir.remove() }
        let r = try engage(
            "log", "--kind", "agreement", "--title", "CMAA", "--country", "CL", "--start", "2026-01-05",
            "--partner", "Servicio Nuevo", "--json")
        let a = try json(r) as! [String: Any]
        #expect(a["kind"] as? String == "agreement" && a["partners"] as? [String] == ["Servicio Nuevo"])
        #expect(r.stderr.contains("warning: partner 'Servicio Nuevo' is not in the registry"))
    }

    @Test func importTwiceListFiltersPartnersAndStatus() throws {
        defer { dir.remove() }
        let first = try json(try engage("import", Self.samples, "--json")) as! [String: Int]
        #expect(first["created"]! >= 40 && first["existing"] == 0)
        let second = try json(try engage("import", Self.samples, "--json")) as! [String: Int]
        #expect(second["created"] == 0 && second["existing"] == first["created"])
        let tz = try json(try engage("list", "--country", "TZ", "--kind", "training", "--json")) as! [[String: Any]]
        #expect(!tz.isEmpty && tz.allSatisfy { $0["country"] as? String == "TZ" && $0["kind"] as? String == "training" })
        let partners = try json(try engage("partners", "--country", "PE", "--json")) as! [[String: Any]]
        #expect(partners.contains { $0["code"] as? String == "SUNAT" })
        let status = try json(try engage("status", "--json")) as! [String: Any]
        #expect(status["activities"] as? Int == first["created"] && (status["pendingChanges"] as? Int ?? 0) > 0)
        #expect((status["nodeId"] as? String)?.count == 16)
    }

    @Test func theDatabaseComesFromTheEnvironmentUnlessGiven() throws {
        defer { dir.remove() }
        let envDB = dir.path("env.sqlite")
        let r = try Executables.run(
            "engage",
            [
                "log", "--kind", "standards", "--title", "WCO session", "--country", "BE",
                "--start", "2026-03-10",
            ], environment: ["ENGAGE_DB": envDB])
        #expect(r.status == 0)
        #expect(FileManager.default.fileExists(atPath: envDB))
        // --db wins over the environment: that other file does not exist, and is not created.
        #expect(try engage("list", "--json", expect: 1).stderr.contains("no device database at \(db)"))
        #expect(!FileManager.default.fileExists(atPath: db))
    }

    /// A mistyped --db is not a new, empty database to report on: reading commands refuse a
    /// missing file and create nothing (found by an attack run: `hq report --db typo` printed an
    /// all-zero report).
    @Test func readingCommandsDoNotCreateADatabase() throws {
        for args in [["list"], ["status"], ["conflicts"], ["hq", "report"], ["show", "abcdef"], ["sync"]] {
            let r = try engage(args, expect: 1)
            #expect(r.stderr.contains("no device database at \(db)"), "\(args): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: db), "\(args) created \(db)")
        }
    }

    /// Files the person names: a missing folder or a folder for a file is said plainly.
    @Test func reportAndExportFilesThatCannotBeWritten() throws {
        try engage("import", Self.samples)
        let missing = try engage("hq", "report", "--html", dir.path("no/such/folder/r.html"), expect: 1)
        #expect(missing.stderr.contains("does not exist") && !missing.stderr.contains("NSCocoaErrorDomain"))
        let folder = try engage("hq", "export", "--format", "csv", "--out", dir.path(""), expect: 1)
        #expect(folder.stderr.contains("is a folder"))
        #expect(
            try engage("hq", "export", "--format", "csv", "--from", "2026-05-01", "--to", "2026-01-01", expect: 64).stderr
                .contains("swap them"))
    }

    @Test func badInputExitsNonZeroSaysWhatToDoAndChangesNothing() throws {
        defer { dir.remove() }
        try engage("import", Self.samples)
        let before = try fileBytes()
        let cases: [([String], String)] = [
            (["log", "--kind", "training", "--title", "t", "--country", "XX", "--start", "2026-01-01"], "e.g. PE for Peru"),
            (["log", "--kind", "seminar", "--title", "t", "--country", "PE", "--start", "2026-01-01"], "use one of"),
            (["log", "--kind", "training", "--title", "t", "--country", "PE", "--start", "2026-02-30"], "YYYY-MM-DD"),
            (
                ["log", "--kind", "training", "--title", "t", "--country", "PE", "--start", "2026-02-03", "--end", "2026-02-01"],
                "before startDate"
            ),
            (["log", "--kind", "training", "--title", "t", "--country", "PE", "--start", "2026-02-03", "--goal", "7"], "goal 7"),
            (
                ["log", "--kind", "training", "--title", "t", "--country", "PE", "--start", "2026-02-03", "--participants=-3"],
                "negative"
            ),
            (["edit", "ffffff", "--title", "x"], "no activity"),
            (["edit", "c30f", "--title", "x"], "6 or more"),
            (["show", "zzzzzzzz"], "not an activity id"),
            (["import", "/nonexistent.json"], "cannot read"),
            (["resolve", "c123", "--keep", "mine"], "current or other"),
        ]
        for (args, message) in cases {
            let r = try Executables.run("engage", args + ["--db", db])
            #expect(r.status != 0, "\(args) succeeded")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        let badFile = dir.path("bad.json")
        try Data(
            #"[{"kind":"training","title":"ok","country":"PE","startDate":"2026-01-01"},{"kind":"training","title":"","country":"PE","startDate":"2026-01-01"}]"#
                .utf8
        )
        .write(to: URL(fileURLWithPath: badFile))
        let r = try Executables.run("engage", ["import", badFile, "--db", db])
        #expect(r.status != 0 && r.stderr.contains("activity 2"))
        #expect(try fileBytes() == before)
    }

    /// The enrolment answer carries the bearer token every later call sends: plain http to
    /// another machine is refused before anything is sent, and the message names the way out.
    @Test func plainHTTPToAnotherMachineNeedsInsecure() throws {
        defer { dir.remove() }
        for server in ["http://10.0.0.5:8080", "http://engage.example.org", "HTTP://192.168.1.1", "http://127.0.0.1.example.org"]
        {
            let r = try Executables.run("engage", ["enroll", "--server", server, "--code", "ABCD-EFGH", "--db", db])
            #expect(
                r.status != 0 && r.stderr.contains("--insecure") && r.stderr.contains("unencrypted"), "\(server): \(r.stderr)")
        }
        let r = try Executables.run("engage", ["status", "--db", db])
        #expect(r.stdout.contains("not enrolled"), "\(r.stdout)")
    }

    @Test func conflictsListIsEmptyOnAFreshDevice() throws {
        defer { dir.remove() }
        try engage("log", "--kind", "standards", "--title", "WCO session", "--country", "BE", "--start", "2026-03-10")
        #expect(try (json(try engage("conflicts", "--json")) as! [Any]).isEmpty)
        try engage("resolve", "c0000000", "--keep", "current", expect: 1)
    }
}
