import EngageCore

/// The replicated write path in memory, for a hub store whose database is not SQLite: the
/// store loads the state of the records a transaction touches (`load`), changes are merged
/// through the core exactly as `ReplicaWriter` merges them in SQLite — the same register rule,
/// the same element tags, one new sequence number per change that changed something — and the
/// store then writes back `fieldRows` and `elementRows`, the rows that changed, each with the
/// sequence number of its last write.
public struct MemoryReplica: Sendable {
    public struct RecordKey: Hashable, Sendable {
        public var collection: String
        public var recordId: String

        public init(collection: String, recordId: String) {
            self.collection = collection
            self.recordId = recordId
        }
    }

    /// A `field_state` row: one register.
    public struct FieldRow: Equatable, Sendable {
        public var key: RecordKey
        public var field: String
        public var value: FieldValue
        public var stamp: HLC
        public var seq: Int64
    }

    /// An `element_state` row: one add-tag of a set element.
    public struct ElementRow: Equatable, Sendable {
        public var key: RecordKey
        public var field: String
        public var element: String
        public var tag: HLC
        public var removed: HLC?
        public var seq: Int64
    }

    /// The last sequence number given.
    public private(set) var seq: Int64
    private var states: [RecordKey: RecordState] = [:]
    private var fields: [FieldKey: FieldRow] = [:]
    private var elements: [ElementKey: ElementRow] = [:]
    /// Records in the order they were first changed, for rebuilding their typed rows.
    public private(set) var changedRecords: [RecordKey] = []
    private var changed: Set<RecordKey> = []
    /// The register rule (last writer wins).
    public var register: @Sendable (Register?, FieldValue, HLC) -> Register? = { Merge.register($0, $1, stamp: $2) }

    private struct FieldKey: Hashable {
        var key: RecordKey
        var field: String
    }

    private struct ElementKey: Hashable {
        var key: RecordKey
        var field: String
        var element: String
        var tag: HLC
    }

    /// Starts after sequence number `seq` (the store's latest).
    public init(seq: Int64) { self.seq = seq }

    /// Whether the state of `key` has been loaded.
    public func isLoaded(_ key: RecordKey) -> Bool { states[key] != nil }

    /// Takes a record's whole state as the database holds it (empty for a new record).
    public mutating func load(_ key: RecordKey, _ state: RecordState) {
        if states[key] == nil { states[key] = state }
    }

    /// The state of a loaded record, with this transaction's changes.
    public func state(_ key: RecordKey) -> RecordState? { states[key] }

    /// Merges one change into its record, which must be loaded; returns whether the state changed.
    @discardableResult
    public mutating func apply(_ change: Change) -> Bool {
        let key = RecordKey(collection: change.collection, recordId: change.recordId)
        guard var state = states[key] else { preconditionFailure("MemoryReplica.apply before load of \(key)") }
        defer { states[key] = state }
        switch change.op {
        case .set(let value):
            guard var merged = register(state.registers[change.field], value, change.stamp) else { return false }
            seq += 1
            merged.seq = seq
            state.registers[change.field] = merged
            fields[FieldKey(key: key, field: change.field)] = FieldRow(key: key, field: change.field, value: value, stamp: change.stamp, seq: seq)
        case .add(let element), .remove(let element, _):
            let tags = state.tags[change.field]?[element] ?? []
            guard let merged = Merge.element(tags, change.op, stamp: change.stamp) else { return false }
            seq += 1
            let before = Set(tags)  // a set: an element may hold many tags, and this runs per change
            for tag in merged where !before.contains(tag) {
                elements[ElementKey(key: key, field: change.field, element: element, tag: tag.tag)] =
                    ElementRow(key: key, field: change.field, element: element, tag: tag.tag, removed: tag.removed, seq: seq)
            }
            state.tags[change.field, default: [:]][element] = merged
        }
        if changed.insert(key).inserted { changedRecords.append(key) }
        return true
    }

    /// Gives every row of a loaded record's state a new sequence number, after all others —
    /// fields by name, then element tags by field, element and tag, each in byte order — as
    /// SQLite's `ReplicaWriter.resequence` numbers them: a pull then carries the whole record again.
    public mutating func resequence(_ key: RecordKey) {
        guard var state = states[key] else { preconditionFailure("MemoryReplica.resequence before load of \(key)") }
        defer { states[key] = state }
        for field in state.registers.keys.sorted(by: Self.byteOrder) {
            guard var register = state.registers[field] else { continue }
            seq += 1
            register.seq = seq
            state.registers[field] = register
            fields[FieldKey(key: key, field: field)] = FieldRow(key: key, field: field, value: register.value, stamp: register.stamp, seq: seq)
        }
        for field in state.tags.keys.sorted(by: Self.byteOrder) {
            for (element, tags) in state.tags[field]!.sorted(by: { Self.byteOrder($0.key, $1.key) }) {
                for tag in tags.sorted(by: { Self.byteOrder($0.tag.encoded, $1.tag.encoded) }) {
                    seq += 1
                    elements[ElementKey(key: key, field: field, element: element, tag: tag.tag)] =
                        ElementRow(key: key, field: field, element: element, tag: tag.tag, removed: tag.removed, seq: seq)
                }
            }
        }
        if changed.insert(key).inserted { changedRecords.append(key) }
    }

    /// SQLite's BINARY order (and PostgreSQL's "C"): UTF-8 bytes, not Swift's `<` on `String`.
    public static func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    /// The `field_state` rows this transaction wrote, in sequence order.
    public var fieldRows: [FieldRow] { fields.values.sorted { $0.seq < $1.seq } }

    /// The `element_state` rows this transaction wrote, in sequence order.
    public var elementRows: [ElementRow] { elements.values.sorted { ($0.seq, $0.tag) < ($1.seq, $1.tag) } }
}
