// Test probe: every leave with its employee and that employee's backup (B), in id order.
MATCH (l:Leave)-[:LEAVE_OF]->(e:Employee)
OPTIONAL MATCH (e)-[:BACKED_UP_BY]->(b:Employee)
RETURN l.id AS id, l.first_day AS first_day, l.last_day AS last_day, e.id AS employee, b.id AS backup
ORDER BY id
