-- hub/0001_hub: what only the server holds, on top of replica/.

-- Pulls read the replicated state in sequence order.
CREATE INDEX field_state_seq ON field_state(seq);
CREATE INDEX element_state_seq ON element_state(seq);
CREATE INDEX activity_post ON activity(post);

-- Enrolled devices. The token is stored as a SHA-256 hash only.
CREATE TABLE device (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    post        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('advisor', 'hq', 'admin')),
    node_id     TEXT NOT NULL UNIQUE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,            -- ms since 1970
    last_seen   INTEGER,
    revoked_at  INTEGER
);

-- One-time enrolment codes, hashed; valid until expires_at, once.
CREATE TABLE enrolment (
    code_hash   TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    post        TEXT NOT NULL,
    role        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    device_id   TEXT
);

-- Every change the hub accepted, append-only: the idempotency log and the history.
CREATE TABLE change_log (
    id          INTEGER PRIMARY KEY,
    stamp       TEXT NOT NULL,
    collection  TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    element     TEXT NOT NULL DEFAULT '',
    op          TEXT NOT NULL,               -- set, add, remove
    new_value   TEXT,                        -- JSON of the value written (set)
    observed    TEXT,                        -- JSON array of the add-tags a remove saw
    base        TEXT,
    seen        INTEGER NOT NULL DEFAULT 0,
    old_value   TEXT,                        -- JSON of the value replaced (scalar fields)
    applied     INTEGER NOT NULL,            -- 1 if it became the current value
    device_id   TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (stamp, collection, record_id, field, element)
);
CREATE INDEX change_log_record ON change_log(record_id);
