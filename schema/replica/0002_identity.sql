-- replica/0002_identity: which hub database a replica last synced with. Frozen once landed.

-- On a device: the generation of the hub database its cursor belongs to. A hub restored from
-- a backup, or a new hub, has another generation: the device then re-sends what it wrote and
-- pulls from the start. On the server: its own generation (set when the database is created,
-- and anew in every backup copy).
ALTER TABLE sync_state ADD COLUMN hub_generation TEXT;
