-- replica/0004_open_conflicts: open conflicts counted at the cost of what they are.
-- Every sync ends by counting the open conflicts it shows; without this index the count read
-- every conflict ever raised. Frozen once landed.
CREATE INDEX conflict_open ON conflict(record_id) WHERE resolved = 0;
