// A customer's account manager (role A) and that manager's backup (role B), replacing the old ones.
// Only customers whose records name a manager; resolve/detach_managers handles the others.
UNWIND $customers AS c
MATCH (x:Customer {id: c.id})
OPTIONAL MATCH (x)-[old:MANAGED_BY]->(:Employee)
DELETE old
WITH DISTINCT x, c
SET view_changed(x)
WITH x, c
MATCH (m:Employee {id: c.manager})
MERGE (x)-[:MANAGED_BY {role: 'A'}]->(m)
WITH x, m
OPTIONAL MATCH (m)-[:BACKED_UP_BY]->(b:Employee)
FOREACH (bb IN CASE WHEN b IS NULL THEN [] ELSE [b] END | MERGE (x)-[:MANAGED_BY {role: 'B'}]->(bb))
RETURN count(DISTINCT x) AS attached
