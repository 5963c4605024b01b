-- device/0012_outbox_fill: which outbox entries an import wrote. Frozen once landed.

-- An import fills in what does not exist yet and never overrides what someone edited: its
-- entries go in pushes marked `fill`, and the hub leaves an activity it already holds as it
-- is (`exists`), whatever the import's stamps (a new tablet set up offline from the post's
-- planning file had undone everyone's corrections since). 1: written by an import.
ALTER TABLE outbox ADD COLUMN fill INTEGER NOT NULL DEFAULT 0;
