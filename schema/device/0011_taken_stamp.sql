-- device/0011_taken_stamp: the latest stamp of this device's own node the hub took (listed as
-- accepted in a push answer). When the hub's time pulls the device clock back (a clock that
-- ran ahead, or a hub whose clock stepped back), it never goes below this: the hub would take
-- the device's next stamps, below ones it already took, for a copy's. Frozen once landed.
ALTER TABLE sync_state ADD COLUMN taken_stamp TEXT;
