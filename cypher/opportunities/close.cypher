// The owner closes a claimed opportunity: $stage won or lost; a won one gets its call-back task
// ($call_back, or null). Checked after the lock, in the same statement: no row when it is not claimed
// by $employee (a closed one takes no more steps). The holder gets a new version.
MATCH (o:Opportunity {id: $id})
SET o.lock = $now
WITH o
REMOVE o.lock
WITH o
WITH o
WHERE o.stage = 'claimed' AND o.owner = $employee
SET o.stage = $stage, o.closed_at = $now
CREATE (step:OpportunityEvent)
SET o.steps = coalesce(o.steps, 0) + 1
WITH o, step
SET step = $event, step.seq = o.steps
CREATE (o)-[:HAD_EVENT]->(step)
FOREACH (task IN CASE WHEN $call_back IS NULL THEN [] ELSE [$call_back] END |
  CREATE (b:CallBack) SET b = task CREATE (o)-[:CALL_BACK]->(b))
WITH o
OPTIONAL MATCH (c:Customer)-[:HAS_OPPORTUNITY]->(o)
FOREACH (h IN CASE WHEN c IS NULL THEN [] ELSE [c] END | SET view_changed(h))
RETURN o.id AS id
