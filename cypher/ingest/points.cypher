// Upsert yearly points (积分) and credit with their source records, each on its account.
// $rows: [{id, record, node, account}]. Points a changed row names on another account leave the one
// they were on. The customers holding the accounts the points reach or leave get a new version (the
// star level reads them), once per statement.
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r.id})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = r.record
SET s.loaded_at = first_loaded, s.version = version, s.changed_at = $now
MERGE (p:Points {id: r.id})
SET p += r.node
MERGE (s)-[:DESCRIBES]->(p)
WITH r, p
OPTIONAL MATCH (p)-[old:POINTS_OF]->(before:Account)
WHERE before.id <> r.account
OPTIONAL MATCH (before)<-[:HAS_ACCOUNT]-(left:Customer)
FOREACH (x IN CASE WHEN left IS NULL THEN [] ELSE [left] END | SET view_changed(x))
DELETE old
WITH DISTINCT r, p
MERGE (a:Account {id: r.account})
MERGE (p)-[:POINTS_OF]->(a)
WITH a, count(p) AS pointed
CALL { WITH a
  MATCH (owner:Customer)-[:HAS_ACCOUNT]->(a)
  SET view_changed(owner)
  RETURN count(owner) AS owners }
RETURN sum(pointed) AS written
