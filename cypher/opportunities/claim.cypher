// The receiver claims an opportunity handed over to it ($employee), and owns it from then on. The stage
// and the receiver are checked after the opportunity is locked, in the same statement: of two claims
// at once one gets the row, the other none. The customer holding it gets a new version.
MATCH (o:Opportunity {id: $id})
SET o.lock = $now
WITH o
REMOVE o.lock
WITH o
WITH o
WHERE o.stage = 'handed_over' AND o.routed_to = $employee
SET o.stage = 'claimed', o.owner = $employee, o.claimed_at = $now
WITH o
OPTIONAL MATCH (e:Employee {id: $employee})
FOREACH (x IN CASE WHEN e IS NULL THEN [] ELSE [e] END | CREATE (o)-[:CLAIMED_BY]->(x))
CREATE (step:OpportunityEvent)
SET o.steps = coalesce(o.steps, 0) + 1
WITH o, step
SET step = $event, step.seq = o.steps
CREATE (o)-[:HAD_EVENT]->(step)
WITH o
OPTIONAL MATCH (c:Customer)-[:HAS_OPPORTUNITY]->(o)
FOREACH (h IN CASE WHEN c IS NULL THEN [] ELSE [c] END | SET view_changed(h))
RETURN o.id AS id
