// Create cases the ingest found absent, with their source records, hung at once on the live customer
// of their owner record (CREATE, as ingest/opportunities_new; a race makes the ingest repeat the batch
// with ingest/cases). Same $rows as that file. The customer a case reaches gets a new version.
UNWIND $rows AS r
CREATE (s:SourceRecord)
SET s = r.record, s.loaded_at = $now, s.version = 1, s.changed_at = $now
CREATE (k:Case)
SET k = r.node
CREATE (s)-[:DESCRIBES]->(k)
WITH k
OPTIONAL MATCH (:SourceRecord {id: coalesce(k.owner_record, '')})-[:RECORD_OF]->(customer)
WITH k, CASE WHEN customer.status = 'active' THEN customer END AS holder
FOREACH (c IN CASE WHEN holder IS NULL THEN [] ELSE [holder] END |
  CREATE (c)-[:HAS_CASE]->(k) SET view_changed(c))
RETURN count(k) AS written
