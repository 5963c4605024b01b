import ArgumentParser
import EngageProtocol
import EngageServer
import Foundation

struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a recorded session and check that every answer matches the recorded one.",
        discussion: """
            A server transcript replays against a fresh server; a device transcript against the server
            database it synced with (--db; give a copy: the replay writes to it). Exit 0 only when all match.
            """)

    @Argument(help: "A transcript, as written by `serve --record` or `engage sync --record`") var file: String
    @Option(help: "Replay against this server database instead of a fresh one") var db: String?

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read '\(file)'") }
        let transcript: Transcript
        do { transcript = try Transcript.decode(data) } catch {
            throw ValidationError("'\(file)' is not a session transcript: \(error)")
        }
        let report = try await SessionReplayer.replay(transcript, databasePath: db)
        if let mismatch = report.mismatch {
            print("\(report.matched) of \(report.total) exchanges matched; first mismatch:")
            print("  \(mismatch)")
            throw ExitCode(1)
        }
        print("all \(report.total) exchanges match")
    }
}
