import ArgumentParser
import EngageClient
import EngageModel
import EngageReports
import EngageResources
import EngageStorage
import EngageStore
import Foundation

struct HQ: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hq", abstract: "Headquarters: the consolidated copy of every post's activity, exports and reports.",
        discussion: "Run on a device enrolled with role hq; its database is the consolidated copy.",
        subcommands: [Pull.self, ExportCommand.self, ReportCommand.self])

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring the consolidated copy up to date (moves only what changed).")
        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Print the summary as JSON") var json = false

        func run() async throws {
            let store = try database.openExisting()
            let summary = try await Synchronizer.withEnrolledDevice(store) { synchronizer, _ in try await synchronizer.sync() }
            if json { return try printJSON(summary) }
            let status = try store.status()
            say(
                "pulled \(summary.pulled) changes; the copy holds \(status.activities) activities (\(status.openConflicts) open conflicts)"
            )
        }
    }

    /// The filters shared by export and report.
    struct Filters: ParsableArguments {
        @Option(help: "First start date, YYYY-MM-DD") var from: String?
        @Option(help: "Last start date, YYYY-MM-DD") var to: String?

        func validate() throws {
            if let from, let to, let a = try? Parse.day(from, "from"), let b = try? Parse.day(to, "to"), a > b {
                throw ValidationError("--from \(from) is after --to \(to); nothing would match — swap them")
            }
        }
    }

    struct ExportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Export activities as CSV, JSON or NDJSON.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var period: Filters
        @Option(help: "csv, json or ndjson") var format: String
        @Option(help: "Write to this file instead of standard output") var out: String?
        @Option(help: "Only this country (ISO 3166-1 alpha-2, e.g. PE)") var country: String?
        @Option(help: ArgumentHelp("Only this strategic goal: \(Allowed.goals)")) var goal: Int?
        @Option(help: ArgumentHelp("Only this kind: \(Allowed.kinds)")) var kind: String?
        @Option(help: "Only this post, e.g. LIMA") var post: String?
        @Flag(help: "Leave out sensitive activities and all notes: the form that may go to partner agencies") var shareable =
            false

        func validate() throws {
            guard Export.Format(rawValue: format) != nil else {
                throw ValidationError("--format takes csv, json or ndjson, not '\(format)'")
            }
        }

        func run() throws {
            let filter = Export.Filter(
                from: try Parse.day(period.from, "from"), to: try Parse.day(period.to, "to"), country: try Parse.country(country),
                goal: try goal.map { n throws(ModelError) in try StrategicGoal.parse(n) }, kind: try Parse.kind(kind),
                post: try Parse.post(post))
            var activities = try database.openExisting().activities(ActivityFilter(includeDeleted: false, shareable: shareable))
                .filter(filter.matches)
            if shareable { activities = Export.shareable(activities) }
            let text = try Export.render(activities, as: Export.Format(rawValue: format)!)
            if let out {
                try writeFile(text, to: out)
                FileHandle.standardError.write(Data("wrote \(activities.count) activities to \(out)\n".utf8))
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }

    struct ReportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Coverage, shortfalls, redundancies, trend and data quality of the consolidated copy.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var period: Filters
        @Flag(help: "Print the whole report as JSON (stdout)") var json = false
        @Flag(help: "List every row, not the one-screen summary") var full = false
        @Option(help: "Also write a self-contained HTML page") var html: String?
        @Option(help: "Country priorities (default: samples/priorities.json; method in docs/priorities.md)") var priorities:
            String?

        func run() throws {
            let store = try database.openExisting()
            let report = ReportBuilder.build(
                activities: try store.activities(ActivityFilter(includeDeleted: false)), from: try Parse.day(period.from, "from"),
                to: try Parse.day(period.to, "to"), priorities: try loadPriorities(), registry: try store.partnerRegistry(),
                openConflicts: try store.conflicts().count)
            if let html {
                let page = HTMLReport.render(report, generatedAt: ISO8601DateFormatter().string(from: Date()))
                try writeFile(page, to: html)
            }
            if json { return try printJSON(report) }
            say(ReportText.render(report, full: full))
        }

        func loadPriorities() throws -> Priorities {
            let url =
                priorities.map { URL(fileURLWithPath: $0) }
                ?? EngageResources.samplesDirectory.appendingPathComponent("priorities.json")
            guard let data = try? Data(contentsOf: url) else { throw ValidationError("cannot read priorities file \(url.path)") }
            let value: Priorities
            do { value = try JSONDecoder().decode(Priorities.self, from: data) } catch {
                throw ValidationError("\(url.path) is not a priorities file (see docs/priorities.md)")
            }
            try value.validate()
            return value
        }
    }
}

/// The report as aligned terminal tables: by default a one-screen summary — the top rows of each
/// part, sorted by what matters (the sort column marked ▼) — and with `full` every row.
enum ReportText {
    static let summaryRows = 5

    static func render(_ r: Report, full: Bool = false) -> String {
        func top<T>(_ rows: [T]) -> ArraySlice<T> { full ? rows[...] : rows.prefix(summaryRows) }
        func more(_ count: Int, _ what: String) -> String {
            !full && count > summaryRows ? "  … \(count - summaryRows) more \(what) (--full)" : ""
        }
        var out: [String] = []
        let t = r.coverage.totals
        out.append(
            "COVERAGE  \(t.activities) activities, \(t.completed) completed, \(t.participants) participants; "
                + "\(r.coverage.countries) countries, \(r.coverage.posts) posts (\(r.coverage.cancelled) cancelled left out)")
        if r.coverage.multiCountry > 0 {
            out.append(
                "  \(r.coverage.multiCountry) activities take place in several countries: once per country in the country figures, once in totals"
            )
        }
        if r.coverage.yearOnly > 0 {
            out.append(
                "  \(r.coverage.yearOnly) activities are dated only to the year: in totals and by country, not in the quarterly figures"
            )
        }
        let goalCountry = r.coverage.byGoalCountry.sorted {
            ($1.tally.activities, $0.goal, $0.country) < ($0.tally.activities, $1.goal, $1.country)
        }
        out.append(
            Table.render(
                header: ["GOAL", "COUNTRY", "REGION", "ACTIVITIES▼", "COMPLETED", "PARTICIPANTS"],
                rows: top(goalCountry).map {
                    [
                        "\($0.goal)", $0.country, $0.region, "\($0.tally.activities)", "\($0.tally.completed)",
                        "\($0.tally.participants)",
                    ]
                }))
        out.append(more(goalCountry.count, "goal × country rows"))
        if full {
            out.append(
                Table.render(
                    header: ["KIND", "QUARTER▼", "ACTIVITIES", "COMPLETED", "PARTICIPANTS"],
                    rows: r.coverage.byKindQuarter.map {
                        [$0.kind, $0.quarter, "\($0.tally.activities)", "\($0.tally.completed)", "\($0.tally.participants)"]
                    }))
        } else {
            var byKind: [String: Int] = [:]
            for row in r.coverage.byKindQuarter { byKind[row.kind, default: 0] += row.tally.activities }
            out.append(
                "KINDS  "
                    + byKind.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \($0.value)" }.joined(
                        separator: " · "))
        }
        out.append("")
        out.append(
            Table.render(
                header: ["PARTNER", "ACTIVITIES▼", "COMPLETED", "PARTICIPANTS", "NAME"],
                rows: top(r.coverage.byPartner).map {
                    [
                        $0.partner, "\($0.tally.activities)", "\($0.tally.completed)", "\($0.tally.participants)",
                        $0.name ?? "(not in registry)",
                    ]
                }))
        out.append(more(r.coverage.byPartner.count, "partners"))
        out.append("\nSHORTFALLS  priority countries engaged below their priority share, largest gap first")
        out.append(
            Table.render(
                header: ["COUNTRY", "GAP▼", "PRIORITY SHARE", "ENGAGEMENT SHARE", "ACTIVITIES"],
                rows: top(r.shortfalls.countries).map {
                    [
                        $0.country, String(format: "%.1f pts", ($0.priorityShare - $0.engagementShare) * 100),
                        String(format: "%.1f%%", $0.priorityShare * 100), String(format: "%.1f%%", $0.engagementShare * 100),
                        "\($0.activities)",
                    ]
                }))
        out.append(more(r.shortfalls.countries.count, "countries"))
        if full || !r.shortfalls.goalGaps.isEmpty {
            out.append(
                Table.render(
                    header: ["COUNTRY▲", "GOALS WITH NO COMPLETED ACTIVITY"],
                    rows: top(r.shortfalls.goalGaps).map { [$0.country, $0.goals.map(String.init).joined(separator: ", ")] }))
            out.append(more(r.shortfalls.goalGaps.count, "countries"))
        }
        let found = r.redundancies.found
        let listed = r.redundancies.groups.count
        out.append(
            "\nREDUNDANCIES  \(found) group\(found == 1 ? "" : "s") of engagements that may duplicate each other, most posts first"
                + (found > listed ? "; the report keeps the first \(listed)" : "") + " (rule: docs/reports.md)")
        out.append(
            Table.render(
                header: ["POSTS▼", "ENGAGEMENTS", "COUNTRY", "KIND", "PARTNERS", "DATES", "FIRST TITLES"],
                rows: top(r.redundancies.groups).map { g in
                    [
                        g.posts.joined(separator: ","), "\(g.activities)", g.country, g.kind, g.partners.joined(separator: ","),
                        "\(g.from) to \(g.to)",
                        g.engagements.prefix(2).map { $0.title.count > 30 ? $0.title.prefix(29) + "…" : $0.title }.joined(
                            separator: "; "),
                    ]
                }))
        out.append(more(r.redundancies.groups.count, "groups"))
        let quarters = Array(Array(Set(r.trend.map(\.quarter))).sorted().suffix(full ? .max : 4))
        out.append("\nTREND  activities per goal and quarter\(full ? "" : " (last 4 quarters)")")
        var cells: [String: Report.TrendPoint] = [:]
        for p in r.trend { cells["\(p.goal)|\(p.quarter)"] = p }
        out.append(
            Table.render(
                header: ["GOAL"] + quarters,
                rows: (1...4).map { goal in
                    ["\(goal)"]
                        + quarters.map { q in
                            let p = cells["\(goal)|\(q)"]
                            return "\(p?.activities ?? 0)" + (p?.change.map { $0 > 0 ? " (+\($0))" : " (\($0))" } ?? "")
                        }
                }))
        let q = r.dataQuality
        out.append(
            "\nDATA QUALITY  \(q.withoutGoals.count) without goals; \(q.unknownPartners.count) partners not in the registry"
                + "\(q.unknownPartners.isEmpty ? "" : " (most used: " + q.unknownPartners.prefix(3).map { "\($0.partner) ×\($0.activities.count)" }.joined(separator: ", ") + ")")"
                + "; \(q.openConflicts) open conflicts")
        if !full {
            out.append("\n(summary: `engage hq report --full` lists every row; --json and --html carry the whole report)")
        }
        return out.filter { !$0.isEmpty }.joined(separator: "\n")
    }
}

/// Writes a file the person named, with an error that says what is wrong instead of Foundation's.
func writeFile(_ text: String, to path: String) throws {
    var isFolder: ObjCBool = false
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
        throw CLIError("\(path) is a folder; give a file name, e.g. \(path)/report.html")
    }
    guard FileManager.default.fileExists(atPath: folder) else {
        throw CLIError("the folder \(folder) does not exist; create it or write elsewhere")
    }
    do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
        throw CLIError(
            "cannot write \(path): \((error as NSError).localizedFailureReason ?? "permission denied or disk full"); nothing was written"
        )
    }
}
