// Create yearly points (积分) the ingest found absent, with their source records, each on its account
// (CREATE, as ingest/bills_new; a race makes the ingest repeat the batch with ingest/points). Same
// $rows as that file. The customers holding the accounts get a new version, once per statement.
UNWIND $rows AS r
CREATE (s:SourceRecord)
SET s = r.record, s.loaded_at = $now, s.version = 1, s.changed_at = $now
CREATE (p:Points)
SET p = r.node
CREATE (s)-[:DESCRIBES]->(p)
MERGE (a:Account {id: r.account})
CREATE (p)-[:POINTS_OF]->(a)
WITH a, count(p) AS pointed
CALL { WITH a
  MATCH (owner)-[:HAS_ACCOUNT]->(a)
  SET view_changed(owner)
  RETURN count(owner) AS owners }
RETURN sum(pointed) AS written
