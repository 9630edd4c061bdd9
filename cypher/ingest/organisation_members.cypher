// Upsert organisation membership source records; resolution turns them into MEMBER_OF
// relationships between the resolved customers.
// view: unchanged (memberships reach customers in resolve/write_memberships, which bumps them)
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r.id})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = r.record
SET s.loaded_at = first_loaded, s.version = version, s.changed_at = $now
RETURN count(s) AS written
