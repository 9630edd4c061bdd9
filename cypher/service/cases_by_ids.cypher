// Cases by id with their events, for the recompute of their clocks (ids from service/case_ids).
UNWIND $ids AS id
MATCH (x:Case {id: id})
OPTIONAL MATCH (x)<-[:EVENT_OF]-(e:CaseEvent)
RETURN x {.id, .kind, .channel, .opened_at, .employee_record, .summary} AS case,
       collect(CASE WHEN e IS NULL THEN NULL ELSE e {.id, .event, .at, .employee_record, .reason} END) AS events
