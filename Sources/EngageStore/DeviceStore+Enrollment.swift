import EngageCore
import Foundation
import GRDB

/// Where this device syncs and with what credentials.
public struct Enrollment: Sendable, Equatable {
    public var serverURL: String
    public var deviceId: String
    public var token: String

    public init(serverURL: String, deviceId: String, token: String) {
        self.serverURL = serverURL
        self.deviceId = deviceId
        self.token = token
    }
}

extension DeviceStore {
    public func enrollment() throws(StoreError) -> Enrollment? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT server_url, device_id, token FROM sync_state WHERE id = 1"),
                let url: String = row[0], let id: String = row[1], let token: String = row[2]
            else { return nil }
            return Enrollment(serverURL: url, deviceId: id, token: token)
        }
    }

    /// Saves the enrolment; a new server starts the pull from the beginning.
    public func saveEnrollment(_ e: Enrollment) throws(StoreError) {
        try write { db in
            let previous = try String.fetchOne(db, sql: "SELECT server_url FROM sync_state WHERE id = 1")
            try db.execute(sql: "UPDATE sync_state SET server_url = ?, device_id = ?, token = ? WHERE id = 1",
                           arguments: [e.serverURL, e.deviceId, e.token])
            if previous != e.serverURL { try db.execute(sql: "UPDATE sync_state SET server_cursor = 0 WHERE id = 1") }
        }
    }

    /// After a push is answered: drops the pushed outbox entries (through `seq`) and keeps the
    /// ones the server refused, with its reason, in `rejected_change`. One transaction.
    public func completePush(throughSeq seq: Int64, rejected: [(change: Change, code: String, message: String)], at: String) throws(StoreError) {
        try write { db in
            let encoder = JSONEncoder()
            for r in rejected {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO rejected_change (stamp, change, code, message, at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [r.change.stamp.encoded, String(decoding: try encoder.encode(r.change), as: UTF8.self), r.code, r.message, at])
            }
            try db.execute(sql: "DELETE FROM outbox WHERE seq <= ?", arguments: [seq])
        }
    }

    /// Changes the server refused, newest first.
    public func rejectedChanges() throws(StoreError) -> [(change: Change, code: String, message: String, at: String)] {
        try read { db in
            let decoder = JSONDecoder()
            return try Row.fetchAll(db, sql: "SELECT * FROM rejected_change ORDER BY at DESC, stamp").compactMap { row in
                guard let c = try? decoder.decode(Change.self, from: Data((row["change"] as String).utf8)) else { return nil }
                return (c, row["code"], row["message"], row["at"])
            }
        }
    }

    /// Corrects the device clock by the server's time, learned from one round trip.
    public func learnServerTime(serverMs: Int64, sentMs: Int64, receivedMs: Int64) throws(StoreError) {
        try write { db in
            var context = try ReplicaContext.load(db)
            context.clock.learnServerTime(serverMs: serverMs, sentMs: sentMs, receivedMs: receivedMs)
            try context.save(db)
        }
    }

    public func recordSync(at text: String) throws(StoreError) {
        try write { db in try db.execute(sql: "UPDATE sync_state SET last_sync = ? WHERE id = 1", arguments: [text]) }
    }

    /// The device's raw physical clock (for timing round trips).
    public func physicalNow() -> Int64 { physicalMs() }
}
