// The operations centre's transfer (second transfers, re-dispatch of returned ones, and its own queue):
// an open opportunity goes to employee $employee of channel $channel, leaving whoever held it. No row
// when the employee is unknown or the opportunity is closed (checked after the lock, in the same
// statement). The holder gets a new version.
MATCH (e:Employee {id: $employee})
MATCH (o:Opportunity {id: $id})
SET o.lock = $now
WITH o, e
REMOVE o.lock
WITH o, e
WITH o, e
WHERE o.stage IN ['captured', 'handed_over', 'claimed', 'returned']
REMOVE o.covered_by
WITH o, e
REMOVE o.owner
WITH o, e
REMOVE o.claimed_at
WITH o, e
SET o.stage = 'handed_over', o.queue = $channel, o.routed_to = $employee
WITH o, e
OPTIONAL MATCH (o)-[held]->(:Employee)
DELETE held
WITH DISTINCT o, e
CREATE (o)-[:ROUTED_TO]->(e)
CREATE (step:OpportunityEvent)
SET o.steps = coalesce(o.steps, 0) + 1
WITH o, step
SET step = $event, step.seq = o.steps
CREATE (o)-[:HAD_EVENT]->(step)
WITH o
OPTIONAL MATCH (c:Customer)-[:HAS_OPPORTUNITY]->(o)
FOREACH (h IN CASE WHEN c IS NULL THEN [] ELSE [c] END | SET view_changed(h))
RETURN o.id AS id
