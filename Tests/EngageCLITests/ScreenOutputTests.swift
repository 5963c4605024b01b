import EngageTestSupport
import Foundation
import Testing

/// Issue 22, kind 6: what `engage` prints for people never carries a control character a
/// terminal would obey — whatever the database holds (an older version's data, another device's,
/// an attacker's) and whatever a message says. `--json` escapes them.
@Suite struct ScreenOutputTests {
    let dir: TemporaryDirectory
    let db: String

    init() throws {
        dir = try TemporaryDirectory()
        db = dir.path("device.sqlite")
    }

    func engage(_ args: [String], expect status: Int32 = 0) throws -> Executables.Result {
        let result = try Executables.run("engage", args + ["--db", db])
        #expect(result.status == status, "engage \(args.joined(separator: " ")): \(result.stderr)")
        return result
    }

    /// Writes hostile text straight into the typed rows, as an older version or a bad sync could
    /// have left it (Python's sqlite3: an independent writer).
    func tamper(_ sql: String, _ values: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                "python3", "-c",
                "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2], sys.argv[3:]); c.commit()",
                db, sql,
            ] + values
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    /// The scalars a terminal obeys: C0 but line feed, DEL, C1, the bidirectional controls.
    static func obeyed(_ text: String) -> [String] {
        text.unicodeScalars.filter { s in
            let v = s.value
            return (v < 0x20 && s != "\n") || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v)
                || (0x2066...0x2069).contains(v)
                || v == 0x200E || v == 0x200F || v == 0x061C || v == 0x2028 || v == 0x2029
        }.map { String(format: "U+%04X", $0.value) }
    }

    static let hostile = "Course\u{1B}]0;HQ Director\u{07}\u{1B}[2J\r\u{202E}gnissecorp\u{9B}31m"

    @Test func everyHumanReadableOutputShowsControlsInsteadOfObeyingThem() throws {
        defer { dir.remove() }
        // Given an activity whose notes hold what the model lets notes hold (CR, an override)…
        let id = try engage([
            "log", "--kind", "training", "--title", "Canine course", "--country", "TZ", "--start", "2026-03-02",
            "--post", "DAR-ES-SALAAM", "--partner", "TRA", "--notes", "line one\roverwritten \u{202E}txt.exe",
        ])
        .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // …and title, location, partners and a partner's name that it does not (written underneath)
        try tamper(
            "UPDATE activity SET title = ?, location = ?, partners = ?",
            [Self.hostile, Self.hostile, "[\"TRA\",\"EVIL\\u001b[2J\"]"])
        try tamper("UPDATE partner SET name = ? WHERE code = 'TRA'", [Self.hostile])
        let outputs = [
            try engage(["list"]), try engage(["show", id]), try engage(["partners"]), try engage(["hq", "report", "--full"]),
            try engage(["list", "--json"]), try engage(["show", id, "--json"]), try engage(["partners", "--json"]),
        ]
        for output in outputs {
            #expect(Self.obeyed(output.stdout + output.stderr).isEmpty, "\(Self.obeyed(output.stdout))\n\(output.stdout)")
        }
        // Then the table shows the codes, and the JSON still holds the value itself
        #expect(
            outputs[0].stdout.contains("Course<U+001B>]0;HQ Director<U+0007><U+001B>[2J<U+000D><U+202E>gnissecorp<U+009B>31m"))
        let shown = try JSONSerialization.jsonObject(with: Data(outputs[5].stdout.utf8)) as? [String: Any]
        #expect(shown?["title"] as? String == Self.hostile)
        // And an error message naming what was typed shows it too
        let error = try engage(["show", "abc\u{1B}[2J\u{202E}def"], expect: 1)
        #expect(Self.obeyed(error.stderr).isEmpty && error.stderr.contains("<U+001B>[2J<U+202E>"), "\(error.stderr)")
    }
}
