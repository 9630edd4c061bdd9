// The customers an employee acts for on any day of $from..$to (days, YYYY-MM-DD; DOMAIN.md §5): those
// they manage as A, and as B those whose A is on a leave overlapping the days, with the leaves' days
// (B acts only on them). Columns: id, role, leaves ([[first_day, last_day], ...], empty for A).
// Anchored on the employee: a manager's few hundred customers, not every customer (a WHERE on the
// MATCH itself lets FalkorDB start from the status index, 25x slower).
MATCH (:Employee {id: $employee})<-[r:MANAGED_BY]-(c:Customer)
WITH c, r
WHERE c.status = 'active'
OPTIONAL MATCH (c)-[:MANAGED_BY {role: 'A'}]->(:Employee)<-[:LEAVE_OF]-(l:Leave)
WHERE r.role = 'B' AND l.first_day <= $to AND l.last_day >= $from
WITH c, r, collect(CASE WHEN l IS NULL THEN NULL ELSE [l.first_day, l.last_day] END) AS leaves
WHERE r.role = 'A' OR size(leaves) > 0
RETURN c.id AS id, r.role AS role, leaves
ORDER BY id
