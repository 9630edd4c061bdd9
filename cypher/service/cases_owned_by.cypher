// The open cases an employee owns as the first person asked (首问负责制), wherever the customer is,
// with their events and customer. Closed ones (an event in $closing) are left out.
MATCH (x:Case {employee_record: $employee})
OPTIONAL MATCH (x)<-[:EVENT_OF]-(e:CaseEvent)
WITH x, collect(CASE WHEN e IS NULL THEN NULL ELSE e {.id, .event, .at, .employee_record, .reason} END) AS events
WHERE NONE(e IN events WHERE e.event IN $closing)
OPTIONAL MATCH (c:Customer)-[:HAS_CASE]->(x)
RETURN c.id AS customer_id, x {.id, .kind, .channel, .opened_at, .employee_record, .summary} AS case, events
ORDER BY case.id
