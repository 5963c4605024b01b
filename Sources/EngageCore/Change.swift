/// One field write: the unit of replication.
///
/// Scalar fields are assigned (`.set`); set fields (partners, goals) change one element at a
/// time (`.add`, `.remove`). `base` is the stamp of the value the author saw before writing,
/// and `seen` the server cursor the author had pulled up to: together they tell the hub
/// whether the write was concurrent with another.
public struct Change: Hashable, Sendable {
    public enum Op: Hashable, Sendable {
        case set(FieldValue)
        /// Adds `element`, tagged with the change's stamp.
        case add(String)
        /// Removes the add-tags of `element` that the remover had seen, and only those.
        case remove(String, observed: [HLC])
    }

    public var collection: String
    public var recordId: String
    public var field: String
    public var op: Op
    public var stamp: HLC
    public var base: HLC?
    public var seen: Int64

    public init(
        collection: String, recordId: String, field: String, op: Op, stamp: HLC, base: HLC? = nil, seen: Int64 = 0
    ) {
        self.collection = collection
        self.recordId = recordId
        self.field = field
        self.op = op
        self.stamp = stamp
        self.base = base
        self.seen = seen
    }

    /// The key of the state this change writes: a scalar field, or one element of a set field.
    public var target: FieldKey {
        switch op {
        case .set: FieldKey(collection: collection, recordId: recordId, field: field, element: nil)
        case .add(let e), .remove(let e, _): FieldKey(collection: collection, recordId: recordId, field: field, element: e)
        }
    }
}

/// Where a piece of replicated state lives.
public struct FieldKey: Hashable, Sendable {
    public var collection: String
    public var recordId: String
    public var field: String
    /// nil for a scalar field; the element for a set field.
    public var element: String?

    public init(collection: String, recordId: String, field: String, element: String? = nil) {
        self.collection = collection
        self.recordId = recordId
        self.field = field
        self.element = element
    }
}

extension Change: Codable {
    private enum CodingKeys: String, CodingKey {
        case collection, record, field, op, value, element, observed, stamp, base, seen
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        collection = try c.decode(String.self, forKey: .collection)
        recordId = try c.decode(String.self, forKey: .record)
        field = try c.decode(String.self, forKey: .field)
        stamp = try c.decode(HLC.self, forKey: .stamp)
        base = try c.decodeIfPresent(HLC.self, forKey: .base)
        seen = try c.decodeIfPresent(Int64.self, forKey: .seen) ?? 0
        switch try c.decode(String.self, forKey: .op) {
        case "set": op = .set(try c.decodeIfPresent(FieldValue.self, forKey: .value) ?? .null)
        case "add": op = .add(try c.decode(String.self, forKey: .element))
        case "remove":
            op = .remove(try c.decode(String.self, forKey: .element), observed: try c.decode([HLC].self, forKey: .observed))
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .op, in: c, debugDescription: "op '\(other)' is not one of set, add, remove")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(collection, forKey: .collection)
        try c.encode(recordId, forKey: .record)
        try c.encode(field, forKey: .field)
        switch op {
        case .set(let value):
            try c.encode("set", forKey: .op)
            try c.encode(value, forKey: .value)
        case .add(let element):
            try c.encode("add", forKey: .op)
            try c.encode(element, forKey: .element)
        case .remove(let element, let observed):
            try c.encode("remove", forKey: .op)
            try c.encode(element, forKey: .element)
            try c.encode(observed, forKey: .observed)
        }
        try c.encode(stamp, forKey: .stamp)
        try c.encodeIfPresent(base, forKey: .base)
        try c.encode(seen, forKey: .seen)
    }
}
