// Create billing accounts the ingest found absent, with their source records, hung at once on the live
// customer of their owner record (CREATE, as ingest/subscriptions_new; a race makes the ingest repeat the
// batch with ingest/accounts). Same $rows as that file. The customer an account reaches gets a new version.
UNWIND $rows AS r
CREATE (s:SourceRecord)
SET s = r.record, s.loaded_at = $now, s.version = 1, s.changed_at = $now
CREATE (a:Account)
SET a = r.node
CREATE (s)-[:DESCRIBES]->(a)
WITH a
OPTIONAL MATCH (:SourceRecord {id: coalesce(a.owner_record, '')})-[:RECORD_OF]->(customer)
WITH a, CASE WHEN customer.status = 'active' THEN customer END AS holder
FOREACH (c IN CASE WHEN holder IS NULL THEN [] ELSE [holder] END | CREATE (c)-[:HAS_ACCOUNT]->(a) SET view_changed(c))
RETURN count(a) AS written
