// Upsert employees' leave periods with their source records, each on its employee. $rows: [{id,
// record, node, employee}]. A leave is the one time a backup (B) acts for a manager's customers.
// view: unchanged (no customer view shows a leave; who acts for a customer is read per request)
// (With two CALL subqueries, one of them deleting, FalkorDB left a batch's leaves unlinked: plain clauses.)
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r.id})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = r.record
SET s.loaded_at = first_loaded, s.version = version, s.changed_at = $now
MERGE (l:Leave {id: r.id})
SET l = r.node
MERGE (s)-[:DESCRIBES]->(l)
WITH r, l
OPTIONAL MATCH (l)-[old:LEAVE_OF]->(before:Employee)
WHERE before.id <> r.employee
DELETE old
WITH DISTINCT r, l
MATCH (e:Employee {id: r.employee})
MERGE (l)-[:LEAVE_OF]->(e)
RETURN count(l) AS written
