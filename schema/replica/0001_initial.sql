-- replica/0001_initial: the state every replica (device and server) holds. Frozen: never edit once landed; add a new file instead.

-- Typed domain rows: a projection of the replicated state below, rebuilt in the same
-- transaction as every write, with real columns that reports can query.
CREATE TABLE activity (
    id            TEXT PRIMARY KEY,          -- lower-case UUID
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    country       TEXT NOT NULL,             -- ISO 3166-1 alpha-2
    location      TEXT,
    post          TEXT NOT NULL DEFAULT '',
    partners      TEXT NOT NULL DEFAULT '[]', -- JSON array of strings, sorted
    goals         TEXT NOT NULL DEFAULT '[]', -- JSON array of integers, sorted
    start_date    TEXT NOT NULL,             -- YYYY-MM-DD
    end_date      TEXT,
    status        TEXT NOT NULL,
    participants  INTEGER,
    notes         TEXT NOT NULL DEFAULT '',
    sensitivity   TEXT NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- No secondary indexes: a device holds thousands of rows, which scan in milliseconds, and
-- every index would slow each merged write. Reporting copies add their own.

-- Reference data: partner agencies.
CREATE TABLE partner (
    code         TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    country      TEXT NOT NULL,
    agency_type  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX partner_country ON partner(country);

-- Replication metadata. One row per scalar field: its value and the stamp that wrote it.
-- value_type: 0 null, 1 bool (value 0/1), 2 integer, 3 text.
CREATE TABLE field_state (
    collection  TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    value_type  INTEGER NOT NULL,
    value,
    stamp       TEXT NOT NULL,               -- hybrid logical clock, encoded to sort as it compares
    node        TEXT NOT NULL,               -- the replica that wrote it
    seq         INTEGER NOT NULL,            -- local change sequence of the write
    PRIMARY KEY (collection, record_id, field)
) WITHOUT ROWID;

-- Set fields (partners, goals): one row per add-tag of an element; removed when a remove observed it.
CREATE TABLE element_state (
    collection  TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    element     TEXT NOT NULL,
    tag         TEXT NOT NULL,               -- stamp of the add
    removed     TEXT,                        -- stamp of the remove that observed it
    seq         INTEGER NOT NULL,
    PRIMARY KEY (collection, record_id, field, element, tag)
) WITHOUT ROWID;

-- Local changes not yet acknowledged by the server, in the order they were made.
CREATE TABLE outbox (
    seq     INTEGER PRIMARY KEY,             -- the local change sequence
    change  TEXT NOT NULL                    -- the change as wire JSON
);

-- Open and settled conflicts, projected from the replicated `conflicts` collection.
CREATE TABLE conflict (
    id              TEXT PRIMARY KEY,
    collection      TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    field           TEXT NOT NULL,
    current_value   TEXT NOT NULL,           -- JSON
    current_stamp   TEXT NOT NULL,
    current_author  TEXT NOT NULL,
    other_value     TEXT NOT NULL,           -- JSON
    other_stamp     TEXT NOT NULL,
    other_author    TEXT NOT NULL,
    resolved        INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX conflict_record ON conflict(record_id);

-- This replica: its node id, clock, change sequence and where it stands with the server.
CREATE TABLE sync_state (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    node_id          TEXT NOT NULL,
    clock            TEXT,                   -- last HLC reading made or seen
    clock_offset_ms  INTEGER NOT NULL DEFAULT 0,
    local_seq        INTEGER NOT NULL DEFAULT 0,
    server_url       TEXT,
    device_id        TEXT,                   -- this device's id at the server, once enrolled
    token            TEXT,                   -- its bearer token (the server keeps only a hash)
    server_cursor    INTEGER NOT NULL DEFAULT 0,
    last_sync        TEXT
);

-- Local changes the server refused (scope, validation): kept, with the reason, so nothing
-- typed is silently lost.
CREATE TABLE rejected_change (
    stamp    TEXT PRIMARY KEY,
    change   TEXT NOT NULL,                  -- the change as wire JSON
    code     TEXT NOT NULL,
    message  TEXT NOT NULL,
    at       TEXT NOT NULL
);
