// The customers an employee acts for on any day of $from..$to (days, YYYY-MM-DD; DOMAIN.md §5): those
// they manage as A, and as B those whose A is on a leave overlapping the days, with the leaves' days
// (B acts only on them). Columns: id, role, leaves ([[first_day, last_day], ...], empty for A).
MATCH (c:Customer {status: 'active'})-[r:MANAGED_BY]->(:Employee {id: $employee})
OPTIONAL MATCH (c)-[:MANAGED_BY {role: 'A'}]->(:Employee)<-[:LEAVE_OF]-(l:Leave)
WHERE r.role = 'B' AND l.first_day <= $to AND l.last_day >= $from
WITH c, r, collect(CASE WHEN l IS NULL THEN NULL ELSE [l.first_day, l.last_day] END) AS leaves
WHERE r.role = 'A' OR size(leaves) > 0
RETURN c.id AS id, r.role AS role, leaves
ORDER BY id
