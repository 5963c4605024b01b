import EngageResources
import EngageStorage
import Foundation
import GRDB

/// The migrations in `schema/`, registered as `folder/file`. Files are taken in number order
/// across folders (`replica/0001`, `hub/0001`, `replica/0002`, …), so a database migrated by
/// an earlier version always holds a prefix of the list.
package enum Migrations {
    /// `["replica", "device"]` for a device; `["replica", "hub"]` for the server.
    package static func migrator(_ folders: [String]) throws -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        let found = try folders.enumerated().flatMap { rank, folder in
            try files(folder).map { (number: $0.lastPathComponent.prefix(4), rank: rank, folder: folder, url: $0) }
        }
        for file in found.sorted(by: { ($0.number, $0.rank) < ($1.number, $1.rank) }) {
            let sql = try String(contentsOf: file.url, encoding: .utf8)
            migrator.registerMigration("\(file.folder)/\(file.url.deletingPathExtension().lastPathComponent)") { db in
                try db.execute(sql: sql)
            }
        }
        return migrator
    }

    /// Migrates the database of `kind` ("device" or "server"), refusing one written by a newer
    /// version or one of the other kind, with a message that says what to do.
    package static func migrate(_ writer: any DatabaseWriter, _ folders: [String], kind: String, path: String) throws {
        let migrator = try migrator(folders)
        try writer.read { db in
            let applied = try db.tableExists("grdb_migrations")
                ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : []
            let known = Set(migrator.migrations)
            if applied.contains(where: { $0.hasPrefix("hub/") }) && !folders.contains("hub") {
                throw StoreError(.file, "\(path) is a server database (engage-server's); give engage a device database with --db")
            }
            // A device's: its own migrations, or replica ones past the first without any hub one (a
            // server database being created by another process at this moment has only the first).
            let isDevice = applied.contains { $0.hasPrefix("device/") }
                || (!applied.contains { $0.hasPrefix("hub/") } && applied.contains { $0.hasPrefix("replica/") && !$0.hasPrefix("replica/0001") })
            if folders.contains("hub") && isDevice {
                throw StoreError(.file, "\(path) is a device database (engage's); give engage-server its own database with --db")
            }
            if let unknown = applied.first(where: { !known.contains($0) }) {
                throw StoreError(
                    .file,
                    "\(path) was written by a newer version of Engage (migration \(unknown)); nothing was changed — update this \(kind) software")
            }
        }
        // Two processes opening a new or older database at once (a server and an administration
        // command) race to migrate it: the loser's migration fails ("table … already exists")
        // and rolls back. It looks again: done by the other, or still to do, and tries again.
        for attempt in 1...5 {
            do {
                try migrator.migrate(writer)
                return
            } catch let error as DatabaseError {
                let applied = try writer.read { db in try migrator.appliedIdentifiers(db) }
                if Set(migrator.migrations).isSubset(of: applied) { return }
                guard attempt < 5 else {
                    throw StoreError(
                        .database,
                        "\(path) could not be brought up to date (\(error.message ?? "\(error.resultCode)")); if another Engage process is opening it, try again in a moment")
                }
                Thread.sleep(forTimeInterval: 0.1 * Double(attempt))
            }
        }
    }

    package static func files(_ folder: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(
            at: EngageResources.schemaDirectory.appendingPathComponent(folder), includingPropertiesForKeys: nil
        )
        .filter { $0.pathExtension == "sql" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
