// The cases of the customers an employee manages (as A or B; the caller keeps those it acts for) that
// no event in $closing has closed, each with its events, one row per customer that has any, in
// service/customer_facts' shape: id, cases [[id, kind, channel, opened_at, employee_record, summary, events]],
// each event [id, event, at, employee_record, reason]. Anchored on the employee, with no label on the far
// ends, like care_of_employee.
MATCH (:Employee {id: $employee})<-[:MANAGED_BY]-(c)-[:HAS_CASE]->(x)
WITH c, x
WHERE c.status = 'active'
OPTIONAL MATCH (x)<-[:EVENT_OF]-(e)
WITH c, x, collect(CASE WHEN e IS NULL THEN NULL ELSE [e.id, e.event, e.at, e.employee_record, e.reason] END) AS events
WHERE NONE(e IN events WHERE e[1] IN $closing)
RETURN c.id AS id, collect([x.id, x.kind, x.channel, x.opened_at, x.employee_record, x.summary, events]) AS cases
