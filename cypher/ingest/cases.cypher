// Upsert cases (work with a service time limit: consultations, complaints, business by phone,
// emergencies, churn warnings) with their source records. $rows: [{id, record, node, employee}].
// The first person asked owns a case: node.employee_record. A case hangs on its customer record's
// live customer at once (as resolve/attach_cases does after a batch run), and leaves any other
// customer; one whose record awaits resolution hangs on none yet (check/holdings_pending counts them).
// The customer holding a changed case, and one it leaves, get a new version.
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r.id})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = r.record
SET s.loaded_at = first_loaded, s.version = version, s.changed_at = $now
MERGE (k:Case {id: r.id})
SET k += r.node
MERGE (s)-[:DESCRIBES]->(k)
WITH r, k
OPTIONAL MATCH (owned:SourceRecord {id: r.node.owner_record})
WITH k, owned
OPTIONAL MATCH (owned)-[:RECORD_OF]->(customer:Customer)
WITH k, CASE WHEN customer.status = 'active' THEN customer END AS holder
OPTIONAL MATCH (k)<-[held:HAS_CASE]-(other:Customer)
WHERE holder IS NULL OR other <> holder
FOREACH (left IN CASE WHEN other IS NULL THEN [] ELSE [other] END | SET view_changed(left))
DELETE held
WITH DISTINCT k, holder
FOREACH (x IN CASE WHEN holder IS NULL THEN [] ELSE [holder] END | MERGE (x)-[:HAS_CASE]->(k))
WITH k
CALL { WITH k
  MATCH (owner:Customer)-[:HAS_CASE]->(k)
  SET view_changed(owner)
  RETURN count(owner) AS owners }
RETURN count(k) AS written
