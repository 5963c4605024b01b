-- postgres/0006_moved_activities: as hub/0011_moved_activities (SQLite), for PostgreSQL.
-- Frozen once landed.
CREATE TABLE moved_activity (
    id         TEXT NOT NULL,
    from_post  TEXT NOT NULL,
    to_post    TEXT NOT NULL,
    stamp      TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    PRIMARY KEY (id, from_post)
);
CREATE INDEX moved_activity_from ON moved_activity (from_post, seq);
