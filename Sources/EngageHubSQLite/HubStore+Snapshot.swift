import EngageReplica
import EngageStorage
import Foundation
import GRDB

extension HubStore {
    /// A copy of the hub for a recording (`serve --record --record-hub-copy`): the same state,
    /// less its secrets — every device's token digest is replaced by a value no token has, and
    /// every enrolment code's digest is dropped (the codes not used yet with their rows). The
    /// copy still holds every activity: a recording with a copy is as private as the database.
    public func snapshotWithoutSecrets(to path: String) throws(StoreError) {
        try snapshot(to: path, asBackup: false)
        do {
            let copy = try DatabaseQueue(path: path)
            try copy.write { db in
                try db.execute(sql: "UPDATE device SET token_hash = 'left-out:' || id")
                try db.execute(sql: "DELETE FROM enrolment WHERE used_at IS NULL")
                try db.execute(sql: "UPDATE enrolment SET code_hash = 'left-out:' || rowid")
            }
            try copy.writeWithoutTransaction { db in try db.execute(sql: "VACUUM") }
            try copy.close()
        } catch {
            throw SQLiteStore.wrap(error)
        }
    }
}
