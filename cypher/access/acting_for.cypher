// The customers an employee acts for on $today (DOMAIN.md section 5): those they manage as A, and
// those they back up as B while the customer's A is on a leave that covers the day (both days in).
MATCH (c:Customer)-[r:MANAGED_BY]->(:Employee {id: $employee})
OPTIONAL MATCH (c)-[:MANAGED_BY {role: 'A'}]->(:Employee)<-[:LEAVE_OF]-(l:Leave)
WHERE r.role = 'B' AND l.first_day <= $today AND l.last_day >= $today
WITH c, r, count(l) AS leaves
WHERE r.role = 'A' OR leaves > 0
RETURN DISTINCT c.id AS id
