-- postgres/0004_unknown_sensitivity: as replica/0008 on SQLite. Frozen once landed.
UPDATE activity SET sensitivity = ''
WHERE NOT EXISTS (
    SELECT 1 FROM field_state f WHERE f.collection = 'activities' AND f.record_id = activity.id AND f.field = 'sensitivity'
);
