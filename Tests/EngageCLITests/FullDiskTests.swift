import EngageTestSupport
import Foundation
import Testing

/// `engage` on a disk with no room left: reads work, writes fail with a message that says what
/// to do, and nothing is changed. The disk is a small tmpfs in a private mount namespace
/// (`unshare -rm`, as root or as an unprivileged user where user namespaces are allowed), filled
/// to the last block; the real executable runs inside it.
@Suite struct FullDiskTests {
    @Test func readsWorkAndWritesSayTheDiskIsFull() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("device.sqlite")
        let mount = dir.path("full")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        try Executables.run("engage", ["import", EngageCLITests.samples, "--db", db])
        let size = try #require(try FileManager.default.attributesOfItem(atPath: db)[.size] as? Int)
        let engage = Executables.directory.appendingPathComponent("engage").path
        let full = mount + "/device.sqlite"
        let script = """
            mount -t tmpfs -o size=\(size / 1024 + 512)k tmpfs '\(mount)' || exit 90
            cp '\(db)' '\(full)' || exit 91
            dd if=/dev/zero of='\(mount)/fill' bs=4k 2>/dev/null
            for args in 'list' 'status' 'log --kind training --title t --country PE --start 2026-01-01' 'list --json'; do
              echo "--- $args"; '\(engage)' $args --db '\(full)' 2>&1; echo "rc=$?"
            done
            """
        let parts = try Self.inFullDiskNamespace(script)
        let list = try #require(parts["list"])
        let status = try #require(parts["status"])
        let log = try #require(parts["log --kind training --title t --country PE --start 2026-01-01"])
        #expect(list.hasSuffix("rc=0\n") && list.split(separator: "\n").count > 10, "\(list)")
        #expect(status.hasSuffix("rc=0\n") && status.contains("pending"), "\(status)")
        #expect(!log.hasSuffix("rc=0\n") && log.contains("is full") && log.contains("nothing was changed"), "\(log)")
        let rows =
            try JSONSerialization.jsonObject(
                with: Data(try #require(parts["list --json"]).split(separator: "\n").dropLast().joined(separator: "\n").utf8))
            as? [Any]
        let before =
            try JSONSerialization.jsonObject(
                with: Data(try Executables.run("engage", ["list", "--json", "--db", db]).stdout.utf8)) as? [Any]
        #expect(rows?.count == before?.count && rows?.isEmpty == false)
    }

    /// The hub's disk fills while it serves: a push is answered `503 disk_full` and the log says
    /// why; pulls still work; once space is freed the same push goes through, nothing lost.
    @Test func theHubOnAFullDiskRefusesWritesClearlyAndRecovers() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bin = Executables.directory.path
        let mount = dir.path("full")
        let device = dir.path("device.sqlite")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let script = """
            mount -t tmpfs -o size=8m tmpfs '\(mount)' || exit 90
            code=$('\(bin)/engage-server' enroll --db '\(mount)/hub.sqlite' --name tablet --post LIMA --role advisor) || exit 91
            mkfifo '\(dir.path("out"))'
            '\(bin)/engage-server' serve --db '\(mount)/hub.sqlite' --port 0 > '\(dir.path("out"))' 2> '\(dir.path("server.log"))' &
            server=$!
            exec 3< '\(dir.path("out"))'
            read -r line <&3 || exit 92
            url=${line#listening on }
            '\(bin)/engage' enroll --server "$url" --code "$code" --db '\(device)' > /dev/null || exit 93
            '\(bin)/engage' log --kind training --title 'Typed on a full disk' --country PE --start 2026-01-01 --db '\(device)' > /dev/null || exit 94
            dd if=/dev/zero of='\(mount)/fill' bs=4k 2>/dev/null
            echo "--- full"; '\(bin)/engage' sync --db '\(device)' 2>&1; echo "rc=$?"
            rm '\(mount)/fill'
            echo "--- freed"; '\(bin)/engage' sync --json --db '\(device)' 2>&1; echo "rc=$?"
            kill -TERM $server; wait $server
            echo "--- log"; cat '\(dir.path("server.log"))'
            """
        let parts = try Self.inFullDiskNamespace(script)
        let full = try #require(parts["full"])
        let freed = try #require(parts["freed"])
        let log = try #require(parts["log"])
        #expect(!full.hasSuffix("rc=0\n") && full.contains("503 disk_full") && full.contains("wait on the device"), "\(full)")
        #expect(freed.hasSuffix("rc=0\n") && freed.contains(#""pushed""#), "\(freed)")
        #expect(log.contains("disk is full") && log.contains("disk_full"), "\(log)")
        let summary =
            try JSONSerialization.jsonObject(with: Data(freed.split(separator: "\n").dropLast().joined(separator: "\n").utf8))
            as? [String: Any]
        #expect((summary?["pushed"] as? Int ?? 0) > 0, "\(freed)")
        #expect(try Executables.run("engage", ["list", "--db", device]).stdout.contains("Typed on a full disk"))
    }

    /// The device's disk fills while it syncs: the hub took the push, but the device could not
    /// note it. `engage sync` had said "nothing was changed"; it says the server took the work,
    /// and once space is freed the next sync sends nothing twice and loses nothing.
    @Test func aDeviceOnAFullDiskSaysTheServerTookItsWork() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bin = Executables.directory.path
        let mount = dir.path("full")
        let hub = dir.path("hub.sqlite")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let device = mount + "/device.sqlite"
        let script = """
            mount -t tmpfs -o size=8m tmpfs '\(mount)' || exit 90
            code=$('\(bin)/engage-server' enroll --db '\(hub)' --name tablet --post LIMA --role advisor) || exit 91
            mkfifo '\(dir.path("out"))'
            '\(bin)/engage-server' serve --db '\(hub)' --port 0 > '\(dir.path("out"))' 2> '\(dir.path("server.log"))' &
            server=$!
            exec 3< '\(dir.path("out"))'
            read -r line <&3 || exit 92
            url=${line#listening on }
            '\(bin)/engage' enroll --server "$url" --code "$code" --db '\(device)' > /dev/null || exit 93
            '\(bin)/engage' sync --db '\(device)' > /dev/null 2>&1 || exit 94
            '\(bin)/engage' log --kind training --title 'Typed before the disk filled' --country PE --start 2026-01-01 --db '\(device)' > /dev/null || exit 95
            dd if=/dev/zero of='\(mount)/fill' bs=4k 2>/dev/null
            echo "--- full"; '\(bin)/engage' sync --db '\(device)' 2>&1; echo "rc=$?"
            rm '\(mount)/fill'
            echo "--- freed"; '\(bin)/engage' sync --json --db '\(device)' 2>&1; echo "rc=$?"
            echo "--- status"; '\(bin)/engage' status --json --db '\(device)' 2>&1
            kill -TERM $server; wait $server
            """
        let parts = try Self.inFullDiskNamespace(script)
        let full = try #require(parts["full"])
        let freed = try #require(parts["freed"])
        #expect(!full.hasSuffix("rc=0\n") && full.contains("the server took") && !full.contains("nothing was changed"), "\(full)")
        #expect(freed.hasSuffix("rc=0\n"), "\(freed)")
        let status = try JSONSerialization.jsonObject(with: Data(try #require(parts["status"]).utf8)) as? [String: Any]
        #expect(status?["pendingChanges"] as? Int == 0, "\(String(describing: status))")
    }

    /// Runs `script` with `sh` in a private mount namespace; returns its output split at lines
    /// `--- NAME`.
    static func inFullDiskNamespace(_ script: String) throws -> [String: String] {
        let result = try Executables.run(
            executable: URL(fileURLWithPath: "/usr/bin/unshare"), ["-rm", "sh", "-c", script + " 2>&1"])
        let text = result.stdout
        try #require(result.status == 0, "a full disk could not be made (needs unshare and tmpfs): \(text) \(result.stderr)")
        return Dictionary(
            uniqueKeysWithValues: text.components(separatedBy: "--- ").dropFirst().map { part in
                (String(part.prefix { $0 != "\n" }), String(part.drop { $0 != "\n" }))
            })
    }
}
