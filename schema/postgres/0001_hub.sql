-- postgres/0001_hub: the hub on PostgreSQL, in one file: what replica/ and hub/ hold for SQLite,
-- without what only devices use (outbox, rejected changes, enrolment settings in sync_state).
-- Frozen once landed: change the schema by adding the next number.

-- The replicated state. One row per scalar field: its value as JSON (`FieldValue`'s wire form:
-- null, true, 12, "text") and the stamp that wrote it.
CREATE TABLE field_state (
    collection  TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    stamp       TEXT NOT NULL,               -- hybrid logical clock, encoded to sort as it compares
    node        TEXT NOT NULL,
    seq         BIGINT NOT NULL,             -- the hub's change sequence of the write
    PRIMARY KEY (collection, record_id, field)
);
CREATE INDEX field_state_seq ON field_state (seq);

-- Set fields: one row per add-tag of an element; `removed` once a remove observed it.
CREATE TABLE element_state (
    collection  TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    element     TEXT NOT NULL,
    tag         TEXT NOT NULL,
    removed     TEXT,
    seq         BIGINT NOT NULL,
    PRIMARY KEY (collection, record_id, field, element, tag)
);
CREATE INDEX element_state_seq ON element_state (seq);

-- Typed rows projected from the state in the same transaction as every write.
CREATE TABLE activity (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    country         TEXT NOT NULL,
    location        TEXT,
    post            TEXT NOT NULL DEFAULT '',
    partners        TEXT NOT NULL DEFAULT '[]',
    goals           TEXT NOT NULL DEFAULT '[]',
    start_date      TEXT NOT NULL,
    end_date        TEXT,
    status          TEXT NOT NULL,
    participants    BIGINT,
    notes           TEXT NOT NULL DEFAULT '',
    sensitivity     TEXT NOT NULL,
    deleted         BOOLEAN NOT NULL DEFAULT FALSE,
    other_countries TEXT NOT NULL DEFAULT '[]',
    date_precision  TEXT NOT NULL DEFAULT 'day',
    amount          TEXT
);
CREATE INDEX activity_post ON activity (post);

CREATE TABLE partner (
    code         TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    country      TEXT NOT NULL,
    agency_type  TEXT NOT NULL,
    aliases      TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE conflict (
    id              TEXT PRIMARY KEY,
    collection      TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    field           TEXT NOT NULL,
    current_value   TEXT NOT NULL,
    current_stamp   TEXT NOT NULL,
    current_author  TEXT NOT NULL,
    other_value     TEXT NOT NULL,
    other_stamp     TEXT NOT NULL,
    other_author    TEXT NOT NULL,
    resolved        BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX conflict_record ON conflict (record_id);
CREATE INDEX conflict_open ON conflict (record_id) WHERE NOT resolved;
CREATE INDEX conflict_current_stamp ON conflict (current_stamp);
CREATE INDEX conflict_other_stamp ON conflict (other_stamp);

-- The hub itself: one row. `local_seq` is the last sequence number given; it is read and
-- advanced only under the write lock (docs/architecture.md, "Several servers"), so numbers
-- commit in the order they are given and a pull cursor never passes a change that commits later.
CREATE TABLE hub_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    node_id         TEXT NOT NULL,
    clock           TEXT,
    local_seq       BIGINT NOT NULL DEFAULT 0,
    hub_generation  TEXT NOT NULL
);

CREATE TABLE device (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    post        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('advisor', 'hq', 'admin')),
    node_id     TEXT NOT NULL UNIQUE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    last_seen   BIGINT,
    revoked_at  BIGINT
);

CREATE TABLE enrolment (
    code_hash   TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    post        TEXT NOT NULL,
    role        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    device_id   TEXT
);

CREATE TABLE change_log (
    id          BIGSERIAL PRIMARY KEY,
    stamp       TEXT NOT NULL,
    collection  TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    element     TEXT NOT NULL DEFAULT '',
    op          TEXT NOT NULL,
    new_value   TEXT,
    observed    TEXT,
    base        TEXT,
    seen        BIGINT NOT NULL DEFAULT 0,
    old_value   TEXT,
    applied     BOOLEAN NOT NULL,
    device_id   TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (stamp, collection, record_id, field, element)
);
CREATE INDEX change_log_record ON change_log (record_id);

CREATE TABLE node_stamp (
    node_id    TEXT PRIMARY KEY,
    max_stamp  TEXT NOT NULL
);
