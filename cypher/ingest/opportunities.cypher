// Upsert opportunities (商机) with their source records and the employee who claimed each.
// $rows: [{id, record, node, employee}]. An opportunity hangs on its customer record's live customer at
// once (as resolve/attach_opportunities does after a batch run), and leaves any other customer; one
// whose record awaits resolution hangs on none yet (check/holdings_pending counts them). The customer
// holding a changed opportunity, and one it leaves, get a new version.
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r.id})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = r.record
SET s.loaded_at = first_loaded, s.version = version, s.changed_at = $now
MERGE (o:Opportunity {id: r.id})
SET o += r.node
MERGE (s)-[:DESCRIBES]->(o)
WITH r, o
OPTIONAL MATCH (o)-[old:CLAIMED_BY]->(:Employee)
DELETE old
WITH DISTINCT r, o
FOREACH (employee IN CASE WHEN r.employee IS NULL THEN [] ELSE [r.employee] END |
  MERGE (e:Employee {id: employee})
  MERGE (o)-[:CLAIMED_BY]->(e))
WITH r, o
OPTIONAL MATCH (owned:SourceRecord {id: r.node.owner_record})
WITH o, owned
OPTIONAL MATCH (owned)-[:RECORD_OF]->(customer:Customer)
WITH o, CASE WHEN customer.status = 'active' THEN customer END AS holder
OPTIONAL MATCH (o)<-[held:HAS_OPPORTUNITY]-(other:Customer)
WHERE holder IS NULL OR other <> holder
FOREACH (left IN CASE WHEN other IS NULL THEN [] ELSE [other] END | SET view_changed(left))
DELETE held
WITH DISTINCT o, holder
FOREACH (x IN CASE WHEN holder IS NULL THEN [] ELSE [holder] END | MERGE (x)-[:HAS_OPPORTUNITY]->(o))
WITH o
CALL { WITH o
  MATCH (owner:Customer)-[:HAS_OPPORTUNITY]->(o)
  SET view_changed(owner)
  RETURN count(owner) AS owners }
RETURN count(o) AS written
