-- replica/0008_unknown_sensitivity: an activity whose `sensitivity` has not arrived (a pull cut
-- short) is not shown as unclassified. Rows projected before this version gave it
-- 'unclassified'; they now hold '' (`TypedRows.unknownSensitivity`) until the field arrives, so
-- no reader counts or shares them (issue 22, kind 9: fail closed). Frozen once landed.
UPDATE activity SET sensitivity = ''
WHERE NOT EXISTS (
    SELECT 1 FROM field_state f WHERE f.collection = 'activities' AND f.record_id = activity.id AND f.field = 'sensitivity'
);
