import EngageCore
import EngageModel
import EngageStorage
import Foundation
import Logging
import PostgresNIO

/// The hub's own writes on PostgreSQL (an administrator's imports), as `HubStore` makes them:
/// stamped by the hub's clock, merged through `MemoryReplica`, under the write lock.
extension PostgresHub {
    public func importPartners(_ partners: [Partner]) async throws(StoreError) -> Int {
        let keys = partners.map { MemoryReplica.RecordKey(collection: PartnerFields.collection, recordId: $0.code) }
        return try await writeOwn(keys) { memory, clock, now in
            var changed = 0
            for partner in partners {
                let state = memory.state(.init(collection: PartnerFields.collection, recordId: partner.code)) ?? RecordState()
                var touched = false
                for (field, value) in PartnerFields.scalarValues(partner).sorted(by: { $0.key < $1.key })
                where (state.registers[field]?.value ?? PartnerFields.defaults[field]) != value {
                    memory.apply(Change(
                        collection: PartnerFields.collection, recordId: partner.code, field: field, op: .set(value),
                        stamp: clock.tick(physicalMs: now), base: state.registers[field]?.stamp))
                    touched = true
                }
                if touched { changed += 1 }
            }
            return changed
        }
    }

    public func importActivities(_ activities: [Activity]) async throws(StoreError) -> (created: Int, existing: Int) {
        try ActivityFile.checkImportable(activities)
        let keys = activities.map { MemoryReplica.RecordKey(collection: ActivityFields.collection, recordId: $0.id.uuidString.lowercased()) }
        return try await writeOwn(keys) { memory, clock, now in
            var created = 0
            let seen = memory.seq
            for (activity, key) in zip(activities, keys) {
                guard memory.state(key)?.registers.isEmpty ?? true else { continue }
                for change in LocalEdit.changes(from: RecordState(), to: activity, clock: &clock, physicalMs: now, seen: seen) {
                    memory.apply(change)
                }
                created += 1
            }
            return (created, activities.count - created)
        }
    }

    /// Runs `body` over the state of `keys` under the write lock, with the hub's clock, then
    /// writes what it changed, projects the typed rows and saves the sequence and the clock.
    func writeOwn<T: Sendable>(
        _ keys: [MemoryReplica.RecordKey], _ body: @escaping @Sendable (inout MemoryReplica, inout HybridClock, Int64) -> T
    ) async throws(StoreError) -> T {
        let logger = logger, now = physicalMs()
        return try await transaction { connection in
            try await Self.lockWrites(connection, logger: logger)
            var (seq, clock) = try await Self.hubState(connection, logger: logger)
            var memory = MemoryReplica(seq: seq)
            for start in stride(from: 0, to: keys.count, by: 5_000) {
                for (key, state) in try await Self.states(of: keys[start..<min(start + 5_000, keys.count)], connection, logger: logger) {
                    memory.load(key, state)
                }
            }
            let value = body(&memory, &clock, now)
            try await Self.writeRows(memory, connection, logger: logger)
            try await Self.project(memory, connection, logger: logger)
            seq = memory.seq
            try await connection.query("UPDATE hub_state SET local_seq = \(seq), clock = \(clock.last.encoded) WHERE id = 1", logger: logger)
            return value
        }
    }
}

extension PostgresHub: HubStorage {}
