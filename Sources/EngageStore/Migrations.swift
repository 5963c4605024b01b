import EngageResources
import Foundation
import GRDB

/// The migrations in `schema/`, applied in name order, each registered under its file name.
enum Migrations {
    static func migrator() throws -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for file in try files() {
            let sql = try String(contentsOf: file, encoding: .utf8)
            migrator.registerMigration(file.deletingPathExtension().lastPathComponent) { db in
                try db.execute(sql: sql)
            }
        }
        return migrator
    }

    static func files() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(
            at: EngageResources.schemaDirectory, includingPropertiesForKeys: nil
        )
        .filter { $0.pathExtension == "sql" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
