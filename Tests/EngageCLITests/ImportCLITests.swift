import EngageTestSupport
import Foundation
import Testing

/// `engage-server import --format` and `engage import --format` as subprocesses, on the real
/// public files in Tests/EngageImportTests/real.
@Suite struct ImportCLITests {
    static let real = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EngageImportTests/real")
    static var faGov: String { real.appendingPathComponent("El_Salvador.csv").path }
    static var iati: String { real.appendingPathComponent("iati_dportal_activities.xml").path }

    func run(_ tool: String, _ args: [String], expect status: Int32 = 0) throws -> Executables.Result {
        let result = try Executables.run(tool, args)
        #expect(result.status == status, "\(tool) \(args.joined(separator: " ")): \(result.stderr)")
        return result
    }

    @Test func theHubImportsAForeignAssistanceExportOnceWithAMappingReport() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let hub = dir.path("hub.sqlite"), report = dir.path("mapping.json")
        // A dry run changes nothing, and creates no database.
        let dry = try run("engage-server", ["import", "--db", hub, "--format", "fa-gov", Self.faGov, "--post", "SAN-SALVADOR", "--dry-run", "--report", report])
        #expect(dry.stdout.contains("dry run: 1426 records"), "\(dry.stdout)")
        #expect(!FileManager.default.fileExists(atPath: hub))
        let mapping = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as! [String: Any]
        #expect((mapping["records"] as! [[String: Any]]).count == 1_426)

        let first = try run("engage-server", ["import", "--db", hub, "--format", "fa-gov", Self.faGov, "--post", "SAN-SALVADOR"])
        let created = try #require(Int(first.stdout.split(separator: " ")[1]))
        #expect(created > 300)
        let again = try run("engage-server", ["import", "--db", hub, "--format", "fa-gov", Self.faGov, "--post", "SAN-SALVADOR"])
        #expect(again.stdout.hasPrefix("imported 0 activities (\(created) already present)"))
    }

    @Test func refusalsSayWhatIsWrongAndNothingIsImported() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let hub = dir.path("hub.sqlite")
        let noPost = try run("engage-server", ["import", "--db", hub, "--format", "iati", Self.iati], expect: 64)
        #expect(noPost.stderr.contains("--format needs --post"))
        let wrong = try run("engage-server", ["import", "--db", hub, "--format", "iati", Self.faGov, "--post", "HQ"], expect: 64)
        #expect(wrong.stderr.contains("not well-formed XML") || wrong.stderr.contains("<iati-activities>"))
        // An Engage JSON file with an unknown kind names the entry, the field and the rule.
        let bad = dir.path("bad.json")
        try Data(#"[{"kind":"training","title":"A","country":"PE","startDate":"2026-01-05","post":"LIMA"},{"kind":"seminar","title":"B","country":"PE","startDate":"2026-01-05","post":"LIMA"}]"#.utf8)
            .write(to: URL(fileURLWithPath: bad))
        for (tool, args) in [("engage-server", ["import", "--db", hub, bad]), ("engage", ["import", "--db", dir.path("device.sqlite"), bad])] {
            let refused = try run(tool, args, expect: 64)
            #expect(refused.stderr.contains("kind 'seminar' is not allowed") && refused.stderr.contains("[1].kind"), "\(tool): \(refused.stderr)")
            #expect(refused.stderr.contains("nothing was imported"))
        }
    }

    @Test func aDeviceImportsAnIATIFileForItsPost() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("device.sqlite")
        let out = try run("engage", ["import", "--db", db, "--format", "iati", Self.iati, "--post", "MONROVIA", "--json"])
        let summary = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as! [String: Int]
        #expect(summary["created"]! > 60 && summary["skipped"]! > 0)
        let list = try run("engage", ["list", "--db", db, "--country", "LR", "--json"])
        let listed = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as! [[String: Any]]
        #expect(!listed.isEmpty)
        #expect(listed.allSatisfy { ($0["country"] as? String) == "LR" || (($0["otherCountries"] as? [String]) ?? []).contains("LR") })
    }
}

/// The terminal client on the 1.1 fields, and imports that must not touch what they should not.
@Suite struct RealRecordsCLITests {
    func run(_ tool: String, _ args: [String], expect status: Int32 = 0) throws -> Executables.Result {
        let result = try Executables.run(tool, args)
        #expect(result.status == status, "\(tool) \(args.joined(separator: " ")): \(result.stderr)")
        return result
    }

    @Test func aReportPathThatIsTheDatabaseOrTheInputIsRefusedAndNothingIsTouched() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("device.sqlite"), input = dir.path("records.xml")
        try FileManager.default.copyItem(atPath: ImportCLITests.real.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("samples/iati-sample.xml").path, toPath: input)
        let id = try run("engage", ["log", "--db", db, "--kind", "training", "--title", "Keep me", "--country", "PE", "--start", "2026", "--post", "LIMA"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for (tool, database) in [("engage", db), ("engage-server", dir.path("hub.sqlite"))] {
            for target in [database, database + "-wal", input] {
                let refused = try run(tool, ["import", "--db", database, "--format", "iati", input, "--post", "LIMA", "--report", target], expect: 64)
                #expect(refused.stderr.contains("would overwrite"), "\(refused.stderr)")
            }
        }
        #expect(try run("engage", ["show", "--db", db, id]).stdout.contains("Keep me"))
        #expect(try String(contentsOfFile: input, encoding: .utf8).contains("<iati-activities"))
        // A dry run on a device database that does not exist creates none.
        _ = try run("engage", ["import", "--db", dir.path("none.sqlite"), "--format", "iati", input, "--post", "LIMA", "--dry-run"])
        #expect(!FileManager.default.fileExists(atPath: dir.path("none.sqlite")))
    }

    @Test func datesAreKeptAsTypedOrRefusedSayingWhatToGive() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("device.sqlite")
        let mixed = try run("engage", ["log", "--db", db, "--kind", "training", "--title", "T", "--country", "PE", "--start", "2026", "--end", "2026-03"], expect: 1)
        #expect(mixed.stderr.contains("give both to the same precision"))
        let id = try run("engage", ["log", "--db", db, "--kind", "training", "--title", "T", "--country", "XK", "--also-in", "AL", "--start", "2026-07-15",
                                    "--end", "2026-08-20", "--amount", "1500.50 eur", "--status", "in-progress"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // One date coarser than the activity's: refused, the other date untouched.
        let coarse = try run("engage", ["edit", "--db", db, id, "--start", "2026"], expect: 1)
        #expect(coarse.stderr.contains("give --start and --end together"))
        try run("engage", ["edit", "--db", db, id, "--end", ""])  // "" clears the end
        var shown = try JSONSerialization.jsonObject(with: Data(try run("engage", ["show", "--db", db, id, "--json"]).stdout.utf8)) as! [String: Any]
        #expect(shown["startDate"] as? String == "2026-07-15" && shown["endDate"] is NSNull)
        #expect(shown["otherCountries"] as? [String] == ["AL"] && shown["status"] as? String == "in-progress")
        #expect((shown["amount"] as? [String: String]) == ["value": "1500.5", "currency": "EUR"])
        try run("engage", ["edit", "--db", db, id, "--start", "2026-Q3", "--end", "2026-Q4"])
        shown = try JSONSerialization.jsonObject(with: Data(try run("engage", ["show", "--db", db, id, "--json"]).stdout.utf8)) as! [String: Any]
        #expect(shown["startDate"] as? String == "2026-07-01" && shown["endDate"] as? String == "2026-12-31" && shown["datePrecision"] as? String == "quarter")
        #expect(try run("engage", ["show", "--db", db, id]).stdout.contains("2026-Q3 – 2026-Q4 (known to the quarter)"))
        #expect(try run("engage", ["list", "--db", db, "--country", "AL"]).stdout.contains(String(id.prefix(8))))
    }
}
