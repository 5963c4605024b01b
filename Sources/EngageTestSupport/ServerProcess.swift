import Foundation

/// `engage-server serve` as a subprocess on 127.0.0.1 and a free port.
public final class ServerProcess: @unchecked Sendable {
    // @unchecked: the process handle is only used from the test that owns this object.
    public let process = Process()
    public let url: String
    public let database: String

    /// Starts the server on the SQLite file `database` and waits (at most `timeout` seconds) for
    /// its `listening on` line.
    public convenience init(database: String, arguments: [String] = [], timeout: TimeInterval = 60) throws {
        try self.init(database: database, option: "--db", arguments: arguments, timeout: timeout)
    }

    /// Starts the server on the PostgreSQL database at `databaseURL`.
    public convenience init(databaseURL: String, arguments: [String] = [], timeout: TimeInterval = 60) throws {
        try self.init(database: databaseURL, option: "--database-url", arguments: arguments, timeout: timeout)
    }

    private init(database: String, option: String, arguments: [String], timeout: TimeInterval) throws {
        self.database = database
        process.executableURL = Executables.directory.appendingPathComponent("engage-server")
        process.arguments = ["serve", option, database, "--port", "0"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["ENGAGE_SERVER_DB"] = nil
        env["ENGAGE_DATABASE_URL"] = nil
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let handle = out.fileHandleForReading
        let line = LineReader(handle)
        guard let first = line.next(timeout: timeout), first.hasPrefix("listening on ") else {
            process.terminate()
            throw ProcessError("engage-server did not report its address within \(timeout) s")
        }
        url = String(first.dropFirst("listening on ".count))
    }

    /// SIGTERM (graceful) or SIGKILL; waits for the process to exit and returns its status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

public struct ProcessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Reads one line from a pipe with a deadline, on a background thread.
final class LineReader: @unchecked Sendable {
    // @unchecked: `buffer` is written by the reader thread before `done` is signalled, read after.
    private let handle: FileHandle
    init(_ handle: FileHandle) { self.handle = handle }

    func next(timeout: TimeInterval) -> String? {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var line: String?
        let handle = handle
        Thread.detachNewThread {
            var bytes: [UInt8] = []
            while true {
                let chunk = handle.readData(ofLength: 1)
                if chunk.isEmpty { break }
                if chunk[chunk.startIndex] == UInt8(ascii: "\n") { line = String(decoding: bytes, as: UTF8.self); break }
                bytes.append(chunk[chunk.startIndex])
            }
            done.signal()
        }
        return done.wait(timeout: .now() + timeout) == .success ? line : nil
    }
}
