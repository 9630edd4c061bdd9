// The receiver ($employee: the one it was handed over to, or its owner) returns an opportunity to the
// operations centre with a reason, for re-dispatch: it leaves every employee. Checked after the lock,
// in the same statement; no row when it is not open with $employee. The holder gets a new version.
MATCH (o:Opportunity {id: $id})
SET o.lock = $now
WITH o
REMOVE o.lock
WITH o
WITH o
WHERE o.stage IN ['handed_over', 'claimed'] AND (o.routed_to = $employee OR o.owner = $employee)
REMOVE o.routed_to
WITH o
REMOVE o.covered_by
WITH o
REMOVE o.owner
WITH o
REMOVE o.claimed_at
WITH o
SET o.stage = 'returned', o.queue = 'operations_centre'
WITH o
OPTIONAL MATCH (o)-[held]->(:Employee)
DELETE held
WITH DISTINCT o
CREATE (step:OpportunityEvent)
SET o.steps = coalesce(o.steps, 0) + 1
WITH o, step
SET step = $event, step.seq = o.steps
CREATE (o)-[:HAD_EVENT]->(step)
WITH o
OPTIONAL MATCH (c:Customer)-[:HAS_OPPORTUNITY]->(o)
FOREACH (h IN CASE WHEN c IS NULL THEN [] ELSE [c] END | SET view_changed(h))
RETURN o.id AS id
