// Upsert customer source records. $rows: [{id, record}], record = every property of the node.
// First load time and a version counter survive a change; everything else is replaced.
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r.id})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = r.record
SET s.loaded_at = first_loaded, s.version = version, s.changed_at = $now
RETURN count(s) AS written
