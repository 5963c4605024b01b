import EngageCore
import EngageReplica
import EngageStorage
import Foundation
import GRDB

/// A local change waiting for the server, with its place in the local sequence.
public struct PendingChange: Sendable, Equatable {
    public var seq: Int64
    public var change: Change
    /// Written by an import: it fills in what the hub lacks and never overrides what it holds.
    public var fill = false

    public init(seq: Int64, change: Change, fill: Bool = false) {
        self.seq = seq
        self.change = change
        self.fill = fill
    }
}

extension DeviceStore {
    /// Applies a batch of remote changes in one transaction through the merge core, observes
    /// their stamps in the device clock and, when given, advances the server cursor and keeps
    /// the hub's checkpoint that came with them.
    /// Returns how many changes altered local state (duplicates and losers alter nothing).
    @discardableResult
    public func applyRemote(_ changes: [Change], cursor: Int64? = nil, checkpoint: String? = nil) throws(StoreError) -> Int {
        try write { db in
            try Self.keep(checkpoint: checkpoint, db: db)
            var context = try ReplicaContext.load(db)
            var writer = try ReplicaWriter(db: db, seq: context.seq)
            let now = physicalMs()
            if let latest = changes.map(\.stamp).max() { context.clock.observe(latest, physicalMs: now) }
            try writer.apply(batch: changes)
            try writer.project()
            try Self.forgetRefusalsTheHubHolds(changes, db: db)
            context.seq = writer.seq
            if let cursor { context.cursor = max(context.cursor, cursor) }
            try context.save(db)
            return writer.appliedCount
        }
    }

    /// A refused change the hub turns out to hold, the very same, is not refused work: it
    /// reached the hub after all (sent by a copy of this database, or refused only because its
    /// activity was out of this device's reach when it came). Its refusal is forgotten.
    static func forgetRefusalsTheHubHolds(_ changes: [Change], db: Database) throws {
        let rows = try Row.fetchAll(db, sql: "SELECT stamp, change FROM rejected_change")
        guard !rows.isEmpty else { return }
        let decoder = JSONDecoder()
        var refused: [HLC: Change] = [:]
        for row in rows {
            guard let stamp = HLC(encoded: row[0]), let c = try? decoder.decode(Change.self, from: Data((row[1] as String).utf8))
            else { continue }
            refused[stamp] = c
        }
        let held = changes.filter { refused[$0.stamp] == $0 }.map(\.stamp.encoded)
        for stamp in held { try db.execute(sql: "DELETE FROM rejected_change WHERE stamp = ?", arguments: [stamp]) }
    }

    /// How many changes wait in the outbox (before coalescing: a push may send fewer).
    public func pendingCount() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0 }
    }

    /// The outbox, oldest first: entries after local sequence `seq`, at most `limit`.
    public func pendingChanges(after seq: Int64 = 0, limit: Int = .max) throws(StoreError) -> [PendingChange] {
        try read { db in try Self.outbox(db, after: seq, limit: limit) }
    }

    static func outbox(_ db: Database, after seq: Int64 = 0, limit: Int = .max) throws -> [PendingChange] {
        let decoder = JSONDecoder()
        return try Row.fetchAll(
            db, sql: "SELECT seq, change, fill FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [seq, limit]
        )
        .map { row in
            PendingChange(
                seq: row[0], change: try decoder.decode(Change.self, from: Data((row[1] as String).utf8)), fill: row[2] as Bool)
        }
    }
}
