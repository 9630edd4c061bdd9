// Cases opened in $from..$to (instants as stored, $to excluded), of customers of $local_network when it
// is not null, each with its events and customer: the SLA breach report's cases.
MATCH (x:Case)
WHERE x.opened_at >= $from AND x.opened_at < $to
OPTIONAL MATCH (c:Customer)-[:HAS_CASE]->(x)
WITH x, c
WHERE $local_network IS NULL OR c.local_network = $local_network
OPTIONAL MATCH (x)<-[:EVENT_OF]-(e:CaseEvent)
RETURN c.id AS customer_id, x {.id, .kind, .channel, .opened_at, .employee_record, .summary} AS case,
       collect(CASE WHEN e IS NULL THEN NULL ELSE e {.id, .event, .at, .employee_record, .reason} END) AS events
ORDER BY case.opened_at DESC, case.id DESC
