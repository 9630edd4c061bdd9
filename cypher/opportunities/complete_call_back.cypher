// A call-back done: by its employee, or by anyone when $anyone (the operations centre, an admin). Checked
// after the lock, in the same statement: no row when it was done already or is another's. Answers the
// customer holding its opportunity, on whom the caller then records the contact. The holder gets a new
// version (the call-back shows in the opportunity's hand-off).
MATCH (o:Opportunity)-[:CALL_BACK]->(b:CallBack {id: $id})
SET b.lock = $now
WITH o, b
REMOVE b.lock
WITH o, b
WITH o, b
WHERE b.done_at IS NULL AND ($anyone OR b.employee = $employee)
SET b.done_at = $now, b.done_by = $done_by
WITH o, b
OPTIONAL MATCH (c:Customer)-[:HAS_OPPORTUNITY]->(o)
FOREACH (h IN CASE WHEN c IS NULL THEN [] ELSE [c] END | SET view_changed(h))
RETURN b.id AS id, c.id AS customer_id, o.id AS opportunity, o.need AS need
