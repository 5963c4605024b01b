-- postgres/0005_sequence_marks: as hub/0010_sequence_marks (SQLite), for PostgreSQL. Frozen
-- once landed.

-- Every transaction that advances the change sequence leaves a mark (the sequence number it
-- ended at and the hub's clock after it); a device names the latest it was given, and a hub
-- that does not hold it went back (`pg_restore` without `engage-server restored`, a volume
-- snapshot) and answers `409 hub_went_back`.
CREATE TABLE sequence_mark (
    seq   BIGINT PRIMARY KEY,
    mark  TEXT NOT NULL
);

CREATE FUNCTION mark_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.local_seq > OLD.local_seq THEN
        INSERT INTO sequence_mark (seq, mark) VALUES (NEW.local_seq, coalesce(NEW.clock, ''))
        ON CONFLICT (seq) DO UPDATE SET mark = excluded.mark;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER sequence_marked AFTER UPDATE OF local_seq ON hub_state
FOR EACH ROW EXECUTE FUNCTION mark_sequence();
