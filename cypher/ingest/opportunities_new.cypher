// Create opportunities (商机) the ingest found absent, with their source records and the employee who
// claimed each, hung at once on the live customer of their owner record (CREATE, as
// ingest/subscriptions_new; a race makes the ingest repeat the batch with ingest/opportunities). Same
// $rows as that file. The customer an opportunity reaches gets a new version.
UNWIND $rows AS r
CREATE (s:SourceRecord)
SET s = r.record, s.loaded_at = $now, s.version = 1, s.changed_at = $now
CREATE (o:Opportunity)
SET o = r.node
CREATE (s)-[:DESCRIBES]->(o)
FOREACH (employee IN CASE WHEN r.employee IS NULL THEN [] ELSE [r.employee] END |
  MERGE (e:Employee {id: employee})
  CREATE (o)-[:CLAIMED_BY]->(e))
WITH o
OPTIONAL MATCH (:SourceRecord {id: coalesce(o.owner_record, '')})-[:RECORD_OF]->(customer)
WITH o, CASE WHEN customer.status = 'active' THEN customer END AS holder
FOREACH (c IN CASE WHEN holder IS NULL THEN [] ELSE [holder] END |
  CREATE (c)-[:HAS_OPPORTUNITY]->(o) SET view_changed(c))
RETURN count(o) AS written
