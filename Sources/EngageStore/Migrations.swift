import EngageResources
import Foundation
import GRDB

/// The migrations in `schema/`: each folder's files in name order, registered as `folder/file`.
enum Migrations {
    /// `["replica"]` for a device; `["replica", "hub"]` for the server.
    static func migrator(_ folders: [String]) throws -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for folder in folders {
            for file in try files(folder) {
                let sql = try String(contentsOf: file, encoding: .utf8)
                migrator.registerMigration("\(folder)/\(file.deletingPathExtension().lastPathComponent)") { db in
                    try db.execute(sql: sql)
                }
            }
        }
        return migrator
    }

    static func files(_ folder: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(
            at: EngageResources.schemaDirectory.appendingPathComponent(folder), includingPropertiesForKeys: nil
        )
        .filter { $0.pathExtension == "sql" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
