// Upsert monthly bills with their source records. $rows: [{id, record, node, account}].
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r.id})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = r.record
SET s.loaded_at = first_loaded, s.version = version, s.changed_at = $now
MERGE (b:Bill {id: r.id})
SET b += r.node
MERGE (s)-[:DESCRIBES]->(b)
MERGE (a:Account {id: r.account})
MERGE (b)-[:BILL_OF]->(a)
WITH a
CALL { WITH a
  MATCH (owner:Customer)-[:HAS_ACCOUNT]->(a)
  SET view_changed(owner)
  RETURN count(owner) AS owners }
RETURN count(a) AS written
