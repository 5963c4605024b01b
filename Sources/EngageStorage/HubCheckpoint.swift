/// A mark of the hub's change sequence, `SEQ.MARK`: the sequence number a write transaction
/// ended at and the hub's clock after it (`schema/hub/0010_sequence_marks.sql`). A device keeps
/// the latest it was given and names it at its next exchange; a hub that does not hold it went
/// back, whatever restored it (docs/replication.md, "A hub that went back").
public enum HubCheckpoint {
    /// The sequence number and mark of `text`, or nil when it is not a checkpoint.
    public static func parse(_ text: String) -> (seq: Int64, mark: String)? {
        guard text.utf8.count <= 120, let dot = text.firstIndex(of: ".") else { return nil }
        guard let seq = Int64(text[..<dot]), seq > 0 else { return nil }
        let mark = text[text.index(after: dot)...]
        guard mark.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D }) else {
            return nil
        }
        return (seq, String(mark))
    }

    /// The later of two checkpoints (by sequence number), either possibly absent.
    public static func later(_ a: String?, _ b: String?) -> String? {
        guard let a, let pa = parse(a) else { return b }
        guard let b, let pb = parse(b) else { return a }
        return pb.seq > pa.seq ? b : a
    }
}
