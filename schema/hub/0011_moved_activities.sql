-- hub/0011_moved_activities: where an activity went, for the post it left. Frozen once landed.

-- When headquarters moves an activity to another post, the old post's devices no longer see
-- its rows, so they would keep listing it as theirs and accepting edits the hub then refuses.
-- One row per activity and post it left: an advisor of `from_post` pulls it, after its cursor,
-- as the activity's `post` field (`to_post`, with the move's stamp and sequence number), and
-- its device shows the activity as moved, read-only. A move back to that post deletes the row
-- (the post then pulls the whole activity again).
CREATE TABLE moved_activity (
    id         TEXT NOT NULL,
    from_post  TEXT NOT NULL,
    to_post    TEXT NOT NULL,
    stamp      TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (id, from_post)
);
CREATE INDEX moved_activity_from ON moved_activity (from_post, seq);
