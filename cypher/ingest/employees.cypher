// Upsert employees with their source records. $rows: [{id, record, node}].
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r.id})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = r.record
SET s.loaded_at = first_loaded, s.version = version, s.changed_at = $now
MERGE (e:Employee {id: r.id})
SET e += r.node
MERGE (s)-[:DESCRIBES]->(e)
WITH e
CALL { WITH e
  MATCH (managed:Customer)-[:MANAGED_BY]->(e)
  SET managed.version = managed.version + 1
  RETURN count(managed) AS managed }
RETURN count(e) AS written
