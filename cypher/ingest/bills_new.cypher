// Create monthly bills the ingest found absent, with their source records (CREATE, as
// ingest/subscriptions_new; a race makes the ingest repeat the batch with ingest/bills). Same $rows and
// the same reach as that file: an account that hangs on no customer yet is hung on its record's live
// customer, and the customers whose accounts were billed get a new version, once per statement.
UNWIND $rows AS r
CREATE (s:SourceRecord)
SET s = r.record, s.loaded_at = $now, s.version = 1, s.changed_at = $now
CREATE (b:Bill)
SET b = r.node
CREATE (s)-[:DESCRIBES]->(b)
MERGE (a:Account {id: r.account})
CREATE (b)-[:BILL_OF]->(a)
WITH a, count(b) AS billed
OPTIONAL MATCH (owned:SourceRecord {id: coalesce(a.owner_record, '')})
WHERE NOT (a)<-[:HAS_ACCOUNT]-(:Customer)
WITH a, billed, owned
OPTIONAL MATCH (owned)-[:RECORD_OF]->(customer)
WITH a, billed, CASE WHEN customer.status = 'active' THEN customer END AS holder
FOREACH (x IN CASE WHEN holder IS NULL THEN [] ELSE [holder] END | CREATE (x)-[:HAS_ACCOUNT]->(a))
WITH a, billed
CALL { WITH a
  MATCH (owner)-[:HAS_ACCOUNT]->(a)
  SET view_changed(owner)
  RETURN count(owner) AS owners }
RETURN sum(billed) AS written
