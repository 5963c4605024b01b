import EngageClient
import Foundation

/// Shows a long sync's progress on stderr (stdout, and `--json`, stay clean): on a terminal a
/// line rewritten at most every second, elsewhere a line every 10 s, and nothing at all for a
/// sync that ends within 2 s.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let started = Date()
    private var shown: Date?
    private let terminal = isatty(STDERR_FILENO) == 1

    func update(_ p: SyncProgress) {
        lock.withLock {
            let now = Date()
            guard now.timeIntervalSince(started) >= 2 else { return }
            if let shown, now.timeIntervalSince(shown) < (terminal ? 1 : 10) { return }
            shown = now
            let line = "pulled \(SyncProgress.count(p.pulled, of: p.pullTotal)) changes (\(Self.size(p.pulledBytes))), "
                + "pushed \(SyncProgress.count(p.pushed, of: p.pushTotal)) (\(Self.size(p.pushedBytes)))"
            FileHandle.standardError.write(Data((terminal ? "\r" + line + "\u{1B}[K" : line + "\n").utf8))
        }
    }

    /// Ends a rewritten line, if one was shown.
    func finish() {
        lock.withLock { if terminal, shown != nil { FileHandle.standardError.write(Data("\n".utf8)) } }
    }

    static func size(_ bytes: Int) -> String {
        bytes == 0 ? "0 bytes" : ByteCountFormatter.string(fromByteCount: Int64(bytes), countStyle: .file)
    }
}
