// Take a planned touch off the work list ($channel: only a plan of that channel; null: any); a plan
// already done or cancelled stays as it is (the caller tells which from `before`). The customer is
// the plan's live one (a merged customer's survivor).
// view: unchanged (plans and consents are no part of the customer view: contactPermission and the work list read them fresh)
MATCH (holder:Customer)-[:PLANNED]->(p:ContactPlan {id: $id})
WHERE $channel IS NULL OR p.channel = $channel
OPTIONAL MATCH (holder)-[:MERGED_INTO*1..5]->(survivor:Customer {status: 'active'})
WITH p, p.status AS before, coalesce(survivor.id, holder.id) AS customer_id
FOREACH (x IN CASE WHEN before = 'planned' THEN [p] ELSE [] END |
  SET x.status = 'cancelled', x.cancelled_at = $now, x.cancelled_by = $caller, x.cancel_reason = $reason)
RETURN customer_id, before, p {.*} AS plan
