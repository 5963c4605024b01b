import ArgumentParser
import EngageClient
import EngageModel
import EngageStorage
import EngageStore
import Foundation

struct Enroll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enrol this device with a server, using a one-time code from an administrator.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The server, e.g. http://127.0.0.1:8080") var server: String
    @Option(help: "The one-time enrolment code") var code: String
    @Flag(help: "Allow plain http to another machine (the token then travels unencrypted; for a trusted test network only)")
    var insecure = false
    @OptionGroup var trust: AgencyCAOption

    func validate() throws {
        if trust.caCert != nil, !server.lowercased().hasPrefix("https://") {
            throw ValidationError(
                "--ca-cert is for an https:// server (it says which certificates to trust); '\(server)' is not one")
        }
    }

    func run() async throws {
        let store = try database.open()
        let answer = try await Synchronizer.enroll(
            store: store, serverURL: server, code: code, insecure: insecure, trusting: try trust.load())
        say("enrolled as \(answer.deviceId) (\(answer.role), post \(answer.post)); run `engage sync`")
        if answer.role == "advisor" {
            // Work typed before enrolment for another post, or none, would vanish at the first
            // sync as far as the person could tell: say so now, and how to mend it.
            let others = try store.activities(notOf: answer.post)
            if !others.isEmpty {
                let shown = others.prefix(3).map {
                    "\($0.id.uuidString.lowercased().prefix(8)) (\($0.post.isEmpty ? "no post" : $0.post))"
                }
                warn(
                    "\(others.count) activit\(others.count == 1 ? "y" : "ies") on this device belong to another post than \(answer.post) "
                        + "(\(shown.joined(separator: ", "))\(others.count > 3 ? ", …" : "")): the server will refuse them at the first sync; "
                        + "they stay on this device — `engage refused` lists them after it, and "
                        + "`engage refused --resend ID --post \(answer.post)` sends one again as \(answer.post)'s")
            }
        }
    }
}

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Push local changes, then pull until caught up.",
        discussion: "An interrupted sync resumes where it stopped; nothing is lost or applied twice.")

    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Print the sync's summary as JSON (progress stays on stderr)") var json = false
    @Option(help: "Record this device's view of the session to a transcript file") var record: String?
    @OptionGroup var trust: AgencyCAOption

    func run() async throws {
        let store = try database.openExisting()
        let ca = try trust.load()
        let summary = try await Synchronizer.withEnrolledDevice(store, trusting: ca, record: record != nil) {
            synchronizer, recorder in
            var synchronizer = synchronizer
            let line = ProgressLine()
            synchronizer.progress = { line.update($0) }
            do {
                let summary = try await synchronizer.sync()
                line.finish()
                try recorder?.write(to: URL(fileURLWithPath: record ?? ""))
                return summary
            } catch {
                line.finish()
                try? recorder?.write(to: URL(fileURLWithPath: record ?? ""))
                throw error
            }
        }
        // A CA given to a sync that went through with it is the one trusted from now on.
        if let ca { try store.setAgencyCA(ca.pem) }
        if json { return try printJSON(summary) }
        say(
            "pushed \(summary.pushed), pulled \(summary.pulled), \(summary.openConflicts) open conflicts, \(summary.rejected.count) rejected"
        )
        if !summary.conflicts.isEmpty {
            let shown = summary.conflicts.prefix(3).map { String($0.prefix(12)) }.joined(separator: ", ")
            say(
                "\(summary.conflicts.count) conflict\(summary.conflicts.count == 1 ? "" : "s") involving your changes "
                    + "(\(shown)\(summary.conflicts.count > 3 ? ", …" : "")) — see `engage conflicts`")
        }
        if summary.importsLeft > 0 {
            say(
                "\(summary.importsLeft) imported value\(summary.importsLeft == 1 ? "" : "s") left for the server's: "
                    + "those activities already existed there, and an import never overrides what someone edited")
        }
        if !summary.movedAway.isEmpty {
            let shown = summary.movedAway.prefix(3).map { String($0.prefix(8)) }.joined(separator: ", ")
            say(
                "\(summary.movedAway.count) activit\(summary.movedAway.count == 1 ? "y" : "ies") moved to another post by headquarters "
                    + "(\(shown)\(summary.movedAway.count > 3 ? ", …" : "")): read-only here — `engage show ID` says where")
        }
        // One line per activity and reason; `engage status` counts them, nothing is deleted locally.
        var groups: [(key: String, fields: [String])] = []
        for r in summary.rejected {
            let key = "\(r.activityId.prefix(8)): \(r.message) [\(r.code)]"
            if let i = groups.firstIndex(where: { $0.key == key }) {
                groups[i].fields.append(r.field)
            } else {
                groups.append((key, [r.field]))
            }
        }
        for g in groups.prefix(10) {
            say("rejected \(g.fields.count == 1 ? g.fields[0] : "\(g.fields.count) fields") of \(g.key)")
        }
        if groups.count > 10 {
            say("… and \(groups.count - 10) more activities with rejected changes — `engage sync --json` lists them all")
        }
        if abs(summary.clockOffsetMs) > 120_000 {
            warn(
                "this device's clock is \(summary.clockOffsetMs / 1000) s off the server's; stamps are corrected, but set the clock"
            )
        }
    }
}

struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show every accepted change of an activity, from the server.")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The activity's id or its first 6 or more characters") var id: String
    @Flag(help: "Print the history as JSON") var json = false

    func run() async throws {
        let store = try database.openExisting()
        let key = try store.resolveID(id).uuidString.lowercased()
        let history = try await Synchronizer.withEnrolledDevice(store) { synchronizer, _ in
            try await synchronizer.history(activityId: key)
        }
        if json { return try printJSON(history) }
        say(
            Table.render(
                header: ["RECEIVED", "BY", "FIELD", "OLD", "NEW", "APPLIED"],
                rows: history.map { e in
                    let when = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(e.receivedAt) / 1000))
                    let new = e.op == "set" ? e.newValue.map { "\($0)" } ?? "" : "\(e.op) \(e.element ?? "")"
                    return [
                        when, e.deviceName ?? e.deviceId, e.field, e.oldValue.map { "\($0)" } ?? "", new,
                        e.applied ? "yes" : "superseded",
                    ]
                }))
    }
}
