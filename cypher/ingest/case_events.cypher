// Upsert what happened to cases (answered, promised, paused, ...) with their source records, each on
// its case. $rows: [{id, record, node, case}]; the ingest refused events whose case does not exist.
// An event a changed row names on another case leaves the one it was on. The customers holding the
// cases an event reaches or leaves get a new version (their clocks moved).
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r.id})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = r.record
SET s.loaded_at = first_loaded, s.version = version, s.changed_at = $now
MERGE (e:CaseEvent {id: r.id})
SET e += r.node
MERGE (s)-[:DESCRIBES]->(e)
WITH r, e
OPTIONAL MATCH (e)-[old:EVENT_OF]->(before:Case)
WHERE before.id <> r.case
OPTIONAL MATCH (before)<-[:HAS_CASE]-(left:Customer)
FOREACH (x IN CASE WHEN left IS NULL THEN [] ELSE [left] END | SET view_changed(x))
DELETE old
WITH DISTINCT r, e
MATCH (k:Case {id: r.case})
MERGE (e)-[:EVENT_OF]->(k)
WITH k, count(e) AS events
CALL { WITH k
  MATCH (owner:Customer)-[:HAS_CASE]->(k)
  SET view_changed(owner)
  RETURN count(owner) AS owners }
RETURN sum(events) AS written
