-- replica/0005_real_records: the activity fields real records need (protocol 1.1).
-- Regional activities (`otherCountries`), dates known to a month, quarter or year
-- (`datePrecision`) and an optional amount with its currency. The replicated state already
-- held these fields when a newer peer sent them; these are their typed columns. Rows written
-- before have none: no other countries, day precision, no amount. Frozen once landed.
ALTER TABLE activity ADD COLUMN other_countries TEXT NOT NULL DEFAULT '[]'; -- JSON array of ISO codes, sorted
ALTER TABLE activity ADD COLUMN date_precision TEXT NOT NULL DEFAULT 'day'; -- day, month, quarter or year
ALTER TABLE activity ADD COLUMN amount TEXT;                                -- "12000000 USD": plain decimal, ISO 4217 code
-- Typed rows of records that carried these fields before this version knew them.
UPDATE activity SET
  other_countries = COALESCE((SELECT json_group_array(element) FROM (
      SELECT e.element FROM element_state e WHERE e.collection = 'activities' AND e.record_id = activity.id
        AND e.field = 'otherCountries' AND e.removed IS NULL GROUP BY e.element ORDER BY e.element)), '[]'),
  date_precision = COALESCE((SELECT f.value FROM field_state f WHERE f.collection = 'activities'
      AND f.record_id = activity.id AND f.field = 'datePrecision' AND f.value_type = 3), 'day'),
  amount = (SELECT f.value FROM field_state f WHERE f.collection = 'activities'
      AND f.record_id = activity.id AND f.field = 'amount' AND f.value_type = 3)
WHERE id IN (SELECT record_id FROM field_state WHERE collection = 'activities' AND field IN ('datePrecision', 'amount')
             UNION SELECT record_id FROM element_state WHERE collection = 'activities' AND field = 'otherCountries');
-- Partner registry entries' other names and acronyms, in any language (a JSON array of strings).
ALTER TABLE partner ADD COLUMN aliases TEXT NOT NULL DEFAULT '[]';
UPDATE partner SET aliases = COALESCE((SELECT f.value FROM field_state f WHERE f.collection = 'partners'
    AND f.record_id = partner.code AND f.field = 'aliases' AND f.value_type = 3), '[]');
