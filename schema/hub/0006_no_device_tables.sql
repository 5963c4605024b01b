-- hub/0006_no_device_tables: the hub holds no device's tables. replica/0001 made them for every
-- replica; the hub never wrote to them. Frozen once landed.
DROP TABLE outbox;
DROP TABLE rejected_change;
