import EngageTestSupport
import Foundation
import Testing

/// `engage sync` over a bad link (scripts/badlink.py: 4 KB/s each way, 250 ms, connections cut
/// every few KB), driven by scripts/field-link with the real executables: a fresh tablet's first
/// sync and its offline edits complete, each within three runs of `engage sync`, and the device
/// then holds every activity. Bounded: at most three syncs a phase, each with bounded retries.
@Suite struct FieldLinkTests {
    @Test func aFirstSyncAndOfflineEditsCompleteOverABadLink() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let result = try Executables.run(
            executable: URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", root.appendingPathComponent("scripts/field-link").path, "--activities", "40", "--edits", "60",
             "--rate", "4000", "--cut-every", "5000", "--tries", "3", "--bin", Executables.directory.path])
        let text = result.stdout + result.stderr
        #expect(result.status == 0, "\(text)")
        #expect(text.contains("first sync of 40 activities") && text.contains("60 offline edits") && !text.contains("DID NOT COMPLETE"), "\(text)")
        let cuts = text.split(separator: "\n").last { $0.hasPrefix("badlink:") }?.split(separator: " ").dropLast(2).last.flatMap { Int($0) }
        #expect((cuts ?? 0) > 0, "the link cut no connection: \(text)")
    }
}
