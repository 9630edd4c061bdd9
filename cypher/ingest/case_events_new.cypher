// Create case events the ingest found absent, with their source records, each on its case (CREATE, as
// ingest/bills_new; a race makes the ingest repeat the batch with ingest/case_events). Same $rows as
// that file. The customers holding the cases get a new version, once per statement.
UNWIND $rows AS r
CREATE (s:SourceRecord)
SET s = r.record, s.loaded_at = $now, s.version = 1, s.changed_at = $now
CREATE (e:CaseEvent)
SET e = r.node
CREATE (s)-[:DESCRIBES]->(e)
WITH e, r.case AS case_id
MATCH (k:Case {id: case_id})
CREATE (e)-[:EVENT_OF]->(k)
WITH k, count(e) AS events
CALL { WITH k
  MATCH (owner)-[:HAS_CASE]->(k)
  SET view_changed(owner)
  RETURN count(owner) AS owners }
RETURN sum(events) AS written
