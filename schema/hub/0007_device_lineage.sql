-- hub/0007_device_lineage: which enrolment a device's identity comes from, and whether it may
-- take a new one. Frozen once landed.

-- The device whose database this one's was copied from (a new identity after
-- `identity_conflict`), NULL for a device enrolled with a code. Revoking any device revokes
-- every device of its lineage: the enrolment it descends from and every copy of it.
ALTER TABLE device ADD COLUMN parent_id TEXT REFERENCES device(id);

-- Set when the hub answers this device `identity_conflict`; one new identity
-- (`POST /v1/identity`) consumes it. Without it the hub grants none.
ALTER TABLE device ADD COLUMN split_granted_at INTEGER;
