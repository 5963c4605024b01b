-- hub/0010_sequence_marks: what the hub's change sequence held, so that a device notices a hub
-- that went back, whatever restored it. Frozen once landed.

-- Every transaction that advances the change sequence leaves a mark: the sequence number it
-- ended at and the hub's clock after it. A device keeps the latest mark it was given (with a
-- pull page or a push answer) and names it at its next exchange (`checkpoint`); a hub that
-- does not hold that very mark went back — a `sqlite3 .backup`, a file copy or a filesystem
-- snapshot restored — and answers `409 hub_went_back`. The mark is the hub's clock, not a
-- random draw: a recorded session replays to the same marks, and a restored hub that reuses a
-- sequence number has a later clock there (docs/replication.md, "A hub that went back").
CREATE TABLE sequence_mark (
    seq   INTEGER PRIMARY KEY,
    mark  TEXT NOT NULL
);

CREATE TRIGGER sequence_marked AFTER UPDATE OF local_seq ON sync_state
WHEN NEW.local_seq > OLD.local_seq
BEGIN
    INSERT OR REPLACE INTO sequence_mark (seq, mark) VALUES (NEW.local_seq, coalesce(NEW.clock, ''));
END;
