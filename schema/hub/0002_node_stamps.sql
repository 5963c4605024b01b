-- hub/0002_node_stamps: what the hub needs to tell two devices sharing one identity apart.
-- Frozen once landed.

-- The greatest stamp the hub has accepted from each node. A node's clock only moves forward,
-- so a new change stamped at or below it comes from a copy of that node's database (a backup
-- restored onto another tablet): the push is refused with `identity_conflict` and the copy
-- takes a new identity before re-sending its work.
CREATE TABLE node_stamp (
    node_id    TEXT PRIMARY KEY,
    max_stamp  TEXT NOT NULL
) WITHOUT ROWID;

-- Conflicts are looked up by the stamps they involve after every push.
CREATE INDEX conflict_current_stamp ON conflict(current_stamp);
CREATE INDEX conflict_other_stamp ON conflict(other_stamp);
