// The customer's cases that no event in $closing has closed, each
// [id, kind, channel, opened_at, employee_record, summary, events], each event
// [id, event, at, employee_record, reason] (the service standing's clocks).
CALL {
  WITH live
  MATCH (live)-[:HAS_CASE]->(x)
  OPTIONAL MATCH (x)<-[:EVENT_OF]-(e)
  WITH x, collect(CASE WHEN e IS NULL THEN NULL ELSE [e.id, e.event, e.at, e.employee_record, e.reason] END) AS events
  WHERE NONE(e IN events WHERE e[1] IN $closing)
  RETURN collect([x.id, x.kind, x.channel, x.opened_at, x.employee_record, x.summary, events]) AS cases
}
