// The cases of several customers that no event in $closing has closed, each with its events, one row
// per customer that has any: [id, kind, channel, opened_at, employee_record, summary, events], each
// event [id, event, at, employee_record, reason]. (Customers without cases are no rows: an OPTIONAL
// MATCH over every customer costs FalkorDB six times as much.)
UNWIND $ids AS id
MATCH (:Customer {id: id})-[:HAS_CASE]->(x:Case)
OPTIONAL MATCH (x)<-[:EVENT_OF]-(e:CaseEvent)
WITH id, x, collect(CASE WHEN e IS NULL THEN NULL ELSE [e.id, e.event, e.at, e.employee_record, e.reason] END) AS events
WHERE NONE(e IN events WHERE e[1] IN $closing)
RETURN id, collect([x.id, x.kind, x.channel, x.opened_at, x.employee_record, x.summary, events]) AS cases
