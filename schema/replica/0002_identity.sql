-- replica/0002_identity: which hub database a replica last synced with. Frozen once landed.

-- On a device: the generation of the hub database its cursor belongs to. A hub restored from
-- a backup, or a new hub, has another generation: the device then re-sends what it wrote and
-- pulls from the start. On the server: its own generation (set when the database is created,
-- and anew in every backup copy).
ALTER TABLE sync_state ADD COLUMN hub_generation TEXT;

-- On a device: the post and role of its enrolment, so that the device refuses at once what
-- the hub would refuse (an advisor moving an activity to another post, headquarters editing
-- an advisor's fields), instead of showing it until the next sync.
ALTER TABLE sync_state ADD COLUMN device_post TEXT;
ALTER TABLE sync_state ADD COLUMN device_role TEXT;
