import EngageResources
import EngageStorage
import Foundation
import Logging
import PostgresNIO

/// Applies `schema/postgres/` in number order, each file once, recorded in `engage_migrations`.
/// Servers starting together take an advisory lock, so one migrates and the others find it
/// done. A database holding a migration this version does not know is refused, unchanged.
struct Migrator {
    let client: PostgresClient
    let logger: Logger
    let url: String

    /// "EngageMI" in ASCII.
    static let lockKey: Int64 = 0x456E_6761_6765_4D49

    func migrate() async throws {
        let files = try Self.files()
        let logger = logger
        let url = url
        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS engage_migrations (identifier TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                    logger: logger)
                var applied: Set<String> = []
                for try await id in try await connection.query("SELECT identifier FROM engage_migrations", logger: logger).decode(
                    String.self)
                {
                    applied.insert(id)
                }
                let known = Set(files.map(\.identifier))
                if let unknown = applied.subtracting(known).sorted().first {
                    throw StoreError(
                        .file,
                        "the database at \(DatabaseURL.redacted(url)) was migrated by a newer version of Engage (\(unknown)); nothing was changed — update engage-server"
                    )
                }
                for file in files where !applied.contains(file.identifier) {
                    for statement in Self.statements(try String(contentsOf: file.url, encoding: .utf8)) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO engage_migrations (identifier) VALUES (\(file.identifier))", logger: logger)
                }
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// The migration files, `postgres/NNNN_name`, in number order.
    static func files() throws -> [(identifier: String, url: URL)] {
        try FileManager.default.contentsOfDirectory(
            at: EngageResources.schemaDirectory.appendingPathComponent("postgres"), includingPropertiesForKeys: nil
        )
        .filter { $0.pathExtension == "sql" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
        .map { ("postgres/" + $0.deletingPathExtension().lastPathComponent, $0) }
    }

    /// A migration file's statements: `--` comments dropped, split at each `;` outside a
    /// `$$`-quoted function body. The files hold DDL and trigger functions (no `;` or `--`
    /// inside strings).
    static func statements(_ sql: String) -> [String] {
        let code = sql.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            guard let comment = line.range(of: "--") else { return line }
            return line[..<comment.lowerBound]
        }.joined(separator: "\n")
        var statements: [String] = []
        var current = ""
        for piece in code.split(separator: ";", omittingEmptySubsequences: false) {
            current += current.isEmpty ? String(piece) : ";" + piece
            // An odd count of `$$` so far: inside a body, whose `;` do not end the statement.
            if current.components(separatedBy: "$$").count % 2 == 1 {
                statements.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                current = ""
            }
        }
        statements.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
        return statements.filter { !$0.isEmpty }
    }
}
