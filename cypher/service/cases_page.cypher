// One page of cases in id order after $after, each with its events: what `c360 recompute` reads to
// record their clocks.
MATCH (x:Case)
WHERE x.id > $after
WITH x ORDER BY x.id LIMIT $page
OPTIONAL MATCH (x)<-[:EVENT_OF]-(e:CaseEvent)
RETURN x {.id, .kind, .channel, .opened_at, .employee_record, .summary} AS case,
       collect(CASE WHEN e IS NULL THEN NULL ELSE e {.id, .event, .at, .employee_record, .reason} END) AS events
ORDER BY case.id
