// The unified contact work list (统一客户接触派单) of one channel or one employee (or both) from $from
// to $to (instants, $to excluded), in time order; each plan with its live customer (a merged
// customer's plans show its survivor).
MATCH (holder:Customer)-[:PLANNED]->(p:ContactPlan)
WHERE p.at >= $from AND p.at < $to
  AND ($channel IS NULL OR p.channel = $channel)
  AND ($employee IS NULL OR p.employee_id = $employee)
OPTIONAL MATCH (holder)-[:MERGED_INTO*1..5]->(survivor:Customer {status: 'active'})
WITH p, coalesce(survivor.id, holder.id) AS customer_id
RETURN customer_id, p {.*} AS plan
ORDER BY p.at, p.id
