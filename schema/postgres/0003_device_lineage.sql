-- postgres/0003_device_lineage: as hub/0007 on SQLite. Frozen once landed.

-- The device whose database this one's was copied from (a new identity after
-- `identity_conflict`), NULL for a device enrolled with a code. Revoking any device revokes
-- every device of its lineage.
ALTER TABLE device ADD COLUMN parent_id TEXT REFERENCES device(id);

-- Set when the hub answers this device `identity_conflict`; one new identity consumes it.
ALTER TABLE device ADD COLUMN split_granted_at BIGINT;
