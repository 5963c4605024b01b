-- device/0003_lineage: the node ids this database wrote under before its current one. Frozen once landed.

-- A database that takes a new identity (a copy told apart by the hub, or a re-enrolment under
-- a new node id) keeps its pending changes under their old stamps and sends them as relays.
-- The hub may refuse one (out of scope, invalid): a refusal of a change this database wrote,
-- under any of its identities, is its own — kept with the reason and undone on the device —
-- while a refused relay of another device's value is not this device's to keep or undo.
CREATE TABLE earlier_node (
    node_id TEXT PRIMARY KEY NOT NULL
) WITHOUT ROWID;
