import Foundation

/// Runs the package's built executables as subprocesses.
public enum Executables {
    /// The folder holding the built products (`.build/debug`), found next to the test runner.
    public static var directory: URL {
        if let dir = ProcessInfo.processInfo.environment["ENGAGE_BIN_DIR"] { return URL(fileURLWithPath: dir) }
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("engage").path) }
            ?? candidates[0]
    }

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `name` with `arguments` and waits for it to exit.
    @discardableResult
    public static func run(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        try run(executable: directory.appendingPathComponent(name), arguments, environment: environment)
    }

    /// Runs any executable (a script, `unshare`) with `arguments` and waits for it to exit.
    @discardableResult
    public static func run(executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["ENGAGE_DB"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes to the end before waiting, so a full pipe never blocks the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
