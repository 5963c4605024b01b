-- device/0009_agency_ca: the agency CA this device trusts for its hub. Frozen once landed.

-- `engage enroll --ca-cert FILE` keeps the certificate itself (PEM text, public), not the
-- file's path: a moved or deleted file does not cut the device off, and later commands reach
-- the same hub through the same trust root without the flag. NULL: the system's trust store.
ALTER TABLE sync_state ADD COLUMN agency_ca TEXT;
