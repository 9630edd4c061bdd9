// Upsert employees with their source records. $rows: [{id, record, node}]. The customers whose view
// shows the employee (as their account manager, or as the claimant of their opportunity) get a new version.
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r.id})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = r.record
SET s.loaded_at = first_loaded, s.version = version, s.changed_at = $now
MERGE (e:Employee {id: r.id})
SET e += r.node
MERGE (s)-[:DESCRIBES]->(e)
WITH e
CALL { WITH e
  MATCH (managed:Customer)-[:MANAGED_BY]->(e)
  SET view_changed(managed)
  RETURN count(managed) AS managed }
CALL { WITH e
  MATCH (holder:Customer)-[:HAS_OPPORTUNITY]->(:Opportunity)-[:CLAIMED_BY]->(e)
  SET view_changed(holder)
  RETURN count(holder) AS holders }
RETURN count(e) AS written
