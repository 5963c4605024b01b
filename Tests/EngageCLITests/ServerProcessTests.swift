import EngageTestSupport
import Foundation
import Testing

/// `engage-server` and `engage` as subprocesses, talking over 127.0.0.1.
@Suite(.serialized) struct ServerProcessTests {
    let dir: TemporaryDirectory
    var serverDB: String { dir.path("server.sqlite") }

    init() throws { dir = try TemporaryDirectory() }

    func run(_ name: String, _ args: [String]) throws -> Executables.Result {
        let r = try Executables.run(name, args)
        #expect(r.status == 0, "\(name) \(args.joined(separator: " ")): \(r.stderr)")
        return r
    }

    func code(post: String = "LIMA", role: String = "advisor") throws -> String {
        let r = try run(
            "engage-server", ["enroll", "--db", serverDB, "--name", "tablet", "--post", post, "--role", role, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: String]
        return try #require(object?["code"])
    }

    func device(_ name: String, _ server: ServerProcess, post: String = "LIMA") throws -> String {
        let db = dir.path("\(name).sqlite")
        _ = try run("engage", ["enroll", "--server", server.url, "--code", try code(post: post), "--db", db])
        return db
    }

    func ids(_ db: String) throws -> Set<String> {
        let r = try run("engage", ["list", "--json", "--include-deleted", "--db", db])
        let list = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] ?? []
        return Set(list.compactMap { $0["id"] as? String })
    }

    /// Processes opening a new database at once (a server and administration started together)
    /// all succeed: the ones that lose the race to migrate it find it done.
    @Test func processesOpeningANewDatabaseTogetherAllSucceed() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for round in 0..<3 {
            let db = dir.path("hub-\(round).sqlite")
            let results = try await withThrowingTaskGroup(of: Executables.Result.self) { group in
                for _ in 0..<10 { group.addTask { try Executables.run("engage-server", ["devices", "list", "--db", db]) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.status == 0 }, "\(results.filter { $0.status != 0 }.map(\.stderr))")
        }
    }

    @Test func twoDevicesSyncThroughTheServerAndItStopsGracefully() throws {
        defer { dir.remove() }
        let server = try ServerProcess(database: serverDB)
        #expect(server.url.hasPrefix("http://127.0.0.1:"))
        let a = try device("a", server)
        let b = try device("b", server)
        let id = try run(
            "engage",
            [
                "log", "--kind", "training", "--title", "Canine course", "--country", "TZ", "--start", "2026-03-02",
                "--post", "LIMA", "--db", a,
            ]
        ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let pushed =
            try JSONSerialization.jsonObject(with: Data(try run("engage", ["sync", "--json", "--db", a]).stdout.utf8))
            as? [String: Any]
        #expect((pushed?["pushed"] as? Int ?? 0) > 0)
        _ = try run("engage", ["sync", "--db", b])
        #expect(try ids(b).contains(id))
        let status =
            try JSONSerialization.jsonObject(with: Data(try run("engage", ["status", "--json", "--db", b]).stdout.utf8))
            as? [String: Any]
        #expect(status?["lastSync"] is String && (status?["partners"] as? Int ?? 0) >= 30)
        let history = try run("engage", ["history", String(id.prefix(8)), "--json", "--db", a])
        #expect(history.stdout.contains("\"field\" : \"title\""))
        let devices =
            try JSONSerialization.jsonObject(
                with: Data(try run("engage-server", ["devices", "list", "--json", "--db", serverDB]).stdout.utf8))
            as? [[String: Any]]
        #expect(devices?.count == 2 && devices?.allSatisfy { $0["revoked"] as? Bool == false } == true)
        #expect(server.stop(signal: SIGTERM) == 0)
    }

    @Test func nothingAcknowledgedIsLostWhenTheServerIsKilled() throws {
        defer { dir.remove() }
        var server = try ServerProcess(database: serverDB)
        let a = try device("a", server)
        for i in 0..<5 {
            _ = try run(
                "engage",
                [
                    "log", "--kind", "training", "--title", "Course \(i)", "--country", "PE", "--start", "2026-04-0\(i + 1)",
                    "--post", "LIMA", "--db", a,
                ])
        }
        _ = try run("engage", ["sync", "--db", a])  // acknowledged
        server.stop(signal: SIGKILL)
        server = try ServerProcess(database: serverDB)
        let fresh = try device("fresh", server)
        _ = try run("engage", ["sync", "--db", fresh])
        #expect(try ids(fresh) == ids(a))
        #expect(try ids(a).count == 5)
        server.stop()
    }

    /// Work typed before enrolment for another post vanished at the first sync, kept only in a
    /// table no command read. Enrolment warns of it; `engage refused` lists it with reasons,
    /// sends it again as the enrolment's post, or discards it; nothing is lost on the way.
    @Test func workTypedBeforeEnrolmentIsKeptAndCanBeSentAgain() throws {
        defer { dir.remove() }
        let server = try ServerProcess(database: serverDB)
        let db = dir.path("early.sqlite")
        for (title, post) in [("Canine course", "DAR-ES-SALAAM"), ("Port visit", "CUSCO")] {
            _ = try run(
                "engage",
                [
                    "log", "--kind", "training", "--title", title, "--country", "PE", "--start", "2026-03-02", "--post", post,
                    "--db", db,
                ])
        }
        let enrolled = try Executables.run(
            "engage", ["enroll", "--server", server.url, "--code", try code(post: "LIMA"), "--db", db])
        #expect(
            enrolled.status == 0 && enrolled.stderr.contains("2 activities on this device belong to another post"),
            "\(enrolled.stderr)")
        let sync = try run("engage", ["sync", "--db", db])
        #expect(sync.stdout.contains("rejected"))
        let refused = try run("engage", ["refused", "--json", "--db", db])
        let work = try JSONSerialization.jsonObject(with: Data(refused.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(work.count == 2)
        let listed = try run("engage", ["refused", "--db", db]).stdout
        #expect(listed.contains("Canine course") && listed.contains("out_of_scope"), "\(listed)")
        func titled(_ activity: [String: Any]) -> String? {
            (activity["items"] as? [[String: Any]])?.first { $0["field"] as? String == "title" }?["value"] as? String
        }
        let canine = try #require(work.first { titled($0) == "Canine course" }?["activityId"] as? String)
        let other = try #require(work.first { titled($0) == "Port visit" }?["activityId"] as? String)
        _ = try run("engage", ["refused", "--resend", String(canine.prefix(8)), "--post", "LIMA", "--db", db])
        _ = try run("engage", ["refused", "--discard", String(other.prefix(8)), "--db", db])
        #expect(try run("engage", ["refused", "--db", db]).stdout.contains("no refused work"))
        _ = try run("engage", ["sync", "--db", db])
        let hq = dir.path("hq.sqlite")
        _ = try run("engage", ["enroll", "--server", server.url, "--code", try code(post: "HQ", role: "hq"), "--db", hq])
        _ = try Executables.run("engage", ["sync", "--db", hq])
        #expect(try ids(hq) == [canine])
        #expect(try run("engage", ["show", String(canine.prefix(8)), "--db", hq]).stdout.contains("LIMA"))
        server.stop()
    }

    @Test func aRevokedDeviceIsRefusedWithAReason() throws {
        defer { dir.remove() }
        let server = try ServerProcess(database: serverDB)
        let a = try device("a", server)
        let list =
            try JSONSerialization.jsonObject(
                with: Data(try run("engage-server", ["devices", "list", "--json", "--db", serverDB]).stdout.utf8))
            as? [[String: Any]]
        let deviceID = try #require(list?.first?["id"] as? String)
        _ = try run("engage-server", ["devices", "revoke", deviceID, "--db", serverDB])  // while the server runs
        let r = try Executables.run("engage", ["sync", "--db", a])
        #expect(r.status != 0 && r.stderr.contains("device_revoked"))
        let offline = try Executables.run("engage", ["status", "--db", a])
        #expect(offline.status == 0)  // every command but enroll and sync works without the server
        server.stop()
    }

    /// A database copied onto a second tablet takes an identity of its own, which the
    /// administrator sees as a copy of the first; revoking the first revokes the copy too.
    @Test func aCopyIsListedWithItsOriginAndRevokedWithIt() throws {
        defer { dir.remove() }
        let server = try ServerProcess(database: serverDB)
        let a = try device("a", server)
        let id = try run(
            "engage",
            [
                "log", "--kind", "training", "--title", "Course", "--country", "PE", "--start", "2026-04-01",
                "--post", "LIMA", "--db", a,
            ]
        ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try run("engage", ["sync", "--db", a])
        let b = dir.path("b.sqlite")
        try FileManager.default.copyItem(atPath: a, toPath: b)
        _ = try run("engage", ["edit", id, "--notes", "from a", "--db", a])
        _ = try run("engage", ["sync", "--db", a])
        // The copy's clock runs a minute behind: its edit is stamped below what the hub took from a.
        let behind = ["ENGAGE_CLOCK_OFFSET_MS": "-60000"]
        #expect(try Executables.run("engage", ["edit", id, "--notes", "from b", "--db", b], environment: behind).status == 0)
        #expect(try Executables.run("engage", ["sync", "--db", b], environment: behind).status == 0)
        let listed = try run("engage-server", ["devices", "list", "--db", serverDB]).stdout
        let list =
            try JSONSerialization.jsonObject(
                with: Data(try run("engage-server", ["devices", "list", "--json", "--db", serverDB]).stdout.utf8))
            as? [[String: Any]] ?? []
        let original = try #require(list.first { $0["parentId"] == nil }?["id"] as? String)
        let copy = try #require(list.first { $0["parentId"] as? String == original }?["id"] as? String)
        #expect(listed.contains("(copy of \(original))"))
        let revoked = try run("engage-server", ["devices", "revoke", original, "--db", serverDB]).stdout
        #expect(revoked.contains("also revoked") && revoked.contains(copy))
        let r = try Executables.run("engage", ["sync", "--db", b])
        #expect(r.status != 0 && r.stderr.contains("device_revoked"))
        server.stop()
    }

    @Test func badAdministrationInputIsRefused() throws {
        defer { dir.remove() }
        let r = try Executables.run(
            "engage-server", ["enroll", "--db", serverDB, "--name", "x", "--post", "LIMA", "--role", "boss"])
        #expect(r.status != 0 && r.stderr.contains("advisor, hq or admin"))
        let e = try Executables.run("engage", ["enroll", "--server", "not a url", "--code", "X", "--db", dir.path("d.sqlite")])
        #expect(e.status != 0 && e.stderr.contains("not a server URL"))
        let s = try Executables.run("engage", ["sync", "--db", dir.path("d.sqlite")])
        #expect(s.status != 0 && s.stderr.contains("not enrolled"))
    }
}
