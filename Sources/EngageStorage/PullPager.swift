import EngageCore

/// Assembles one pull page from the two state tables read in sequence order — the same for
/// every hub store, which only reads the rows. Each table was read up to `limit + 1` rows
/// (element rows no further than the last field row read): rows beyond what one table returned
/// cannot be ordered against the other's, so the page stops before them.
public enum PullPager {
    /// A `field_state` row: one register.
    public struct FieldRow: Sendable {
        public var seq: Int64
        public var collection, recordId, field: String
        public var value: FieldValue
        public var stamp: String

        public init(seq: Int64, collection: String, recordId: String, field: String, value: FieldValue, stamp: String) {
            (self.seq, self.collection, self.recordId, self.field, self.value, self.stamp) = (
                seq, collection, recordId, field, value, stamp
            )
        }
    }

    /// An `element_state` row: an add-tag, and the stamp of the removal that observed it.
    public struct ElementRow: Sendable {
        public var seq: Int64
        public var collection, recordId, field, element: String
        public var tag: String
        public var removed: String?

        public init(
            seq: Int64, collection: String, recordId: String, field: String, element: String, tag: String, removed: String?
        ) {
            (self.seq, self.collection, self.recordId, self.field, self.element, self.tag, self.removed) =
                (seq, collection, recordId, field, element, tag, removed)
        }
    }

    /// Two runs of rows, each read in sequence order up to `limit + 1`, as one such run: rows
    /// past where either run stopped short cannot be ordered against the other's, so they wait.
    public static func merged<Row>(_ a: [Row], _ b: [Row], limit: Int, seq: (Row) -> Int64) -> [Row] {
        guard !b.isEmpty else { return a }
        let horizon = min(a.count > limit ? seq(a[limit]) : .max, b.count > limit ? seq(b[limit]) : .max)
        let rows = (a + b).filter { seq($0) <= horizon }.sorted { seq($0) < seq($1) }
        return Array(rows.prefix(limit + 1))
    }

    public struct Page {
        public var changes: [Change] = []
        /// The last sequence number the page holds (the cursor when `full`).
        public var lastSeq: Int64
        /// Whether rows were left for the next page.
        public var full = false
        /// Rows taken (a page of only the caller's own writes may hold none of them as changes).
        public var rows = 0
    }

    /// The page after `cursor`: at most `limit` rows and about `maxBytes` of JSON, never splitting
    /// one sequence number; `echo` says whether a change is one the device sent itself this sync.
    public static func page(
        fields: [FieldRow], elements: [ElementRow], cursor: Int64, limit: Int, maxBytes: Int, echo: (Change) throws -> Bool
    ) rethrows -> Page {
        var page = Page(lastSeq: cursor)
        var bytes = 0
        var f = 0
        var e = 0
        let fieldHorizon: Int64 = fields.count > limit ? fields[limit].seq : .max
        let elementHorizon: Int64 = elements.count > limit ? elements[limit].seq : .max
        let horizon = min(fieldHorizon, elementHorizon)
        while f < fields.count || e < elements.count {
            let takeField = e >= elements.count || (f < fields.count && fields[f].seq <= elements[e].seq)
            let seq = takeField ? fields[f].seq : elements[e].seq
            if seq >= horizon || ((page.rows >= limit || bytes >= maxBytes) && seq != page.lastSeq) {
                page.full = true
                break
            }
            page.rows += 1
            page.lastSeq = seq
            if takeField {
                let row = fields[f]
                f += 1
                guard let stamp = HLC(encoded: row.stamp) else { continue }
                let change = Change(
                    collection: row.collection, recordId: row.recordId, field: row.field, op: .set(row.value), stamp: stamp)
                if try echo(change) { continue }
                page.changes.append(change)
                bytes += 120 + row.recordId.utf8.count + row.value.jsonText.utf8.count
            } else {
                let row = elements[e]
                e += 1
                guard let stamp = HLC(encoded: row.tag) else { continue }
                let add = Change(
                    collection: row.collection, recordId: row.recordId, field: row.field, op: .add(row.element), stamp: stamp)
                if try !echo(add) { page.changes.append(add) }
                if let removed = row.removed.flatMap(HLC.init(encoded:)) {
                    let remove = Change(
                        collection: row.collection, recordId: row.recordId, field: row.field,
                        op: .remove(row.element, observed: [stamp]), stamp: removed)
                    if try !echo(remove) { page.changes.append(remove) }
                }
                bytes += 200 + row.recordId.utf8.count + row.element.utf8.count
            }
        }
        return page
    }
}
