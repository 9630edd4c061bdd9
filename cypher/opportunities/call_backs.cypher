// Call-backs not yet done: an employee's ($employee), and when $unassigned those for no employee (the
// operations centre's). With the opportunity and the customer holding it; the earliest due first.
MATCH (o:Opportunity)-[:CALL_BACK]->(b:CallBack)
WHERE b.done_at IS NULL AND (b.employee = $employee OR ($unassigned AND b.employee IS NULL))
OPTIONAL MATCH (c:Customer)-[:HAS_OPPORTUNITY]->(o)
WITH b, o, head(collect(c.id)) AS customer_id
RETURN b {.*} AS call_back, o.id AS opportunity, customer_id, b.due_at AS due_at, b.id AS id
ORDER BY due_at, id
