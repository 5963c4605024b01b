-- postgres/0002_byte_order_ids: activity ids compare byte by byte ("C"), as in SQLite, whatever
-- the database's own collation: HQ pages are keyset-paged by id (`id > cursor ORDER BY id`), and
-- under a language collation (en-US, say) the primary key's order is not the order both stores
-- page in, so every page had to sort the table instead of reading the index from the cursor on.
-- Frozen once landed: change the schema by adding the next number.
ALTER TABLE activity ALTER COLUMN id TYPE TEXT COLLATE "C";
