// Upsert billing accounts with their source records. $rows: [{id, record, node}].
// An account hangs on its customer record's live customer at once (as resolve/attach_accounts does
// after a batch run), and leaves any other customer; one whose record awaits resolution hangs on none
// yet (check/holdings_pending counts them). Each customer it reaches or leaves gets a new version.
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r.id})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = r.record
SET s.loaded_at = first_loaded, s.version = version, s.changed_at = $now
MERGE (a:Account {id: r.id})
SET a += r.node
MERGE (s)-[:DESCRIBES]->(a)
WITH r, a
OPTIONAL MATCH (owned:SourceRecord {id: r.node.owner_record})
WITH a, owned
OPTIONAL MATCH (owned)-[:RECORD_OF]->(customer:Customer)
WITH a, CASE WHEN customer.status = 'active' THEN customer END AS holder
OPTIONAL MATCH (a)<-[held:HAS_ACCOUNT]-(other:Customer)
WHERE holder IS NULL OR other <> holder
FOREACH (left IN CASE WHEN other IS NULL THEN [] ELSE [other] END | SET view_changed(left))
DELETE held
WITH DISTINCT a, holder
FOREACH (x IN CASE WHEN holder IS NULL THEN [] ELSE [holder] END | MERGE (x)-[:HAS_ACCOUNT]->(a))
WITH a
CALL { WITH a
  MATCH (owner:Customer)-[:HAS_ACCOUNT]->(a)
  SET view_changed(owner)
  RETURN count(owner) AS owners }
RETURN count(a) AS written
