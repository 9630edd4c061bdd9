// Merge histories: every merge, unmerge and split event each customer took part in, newest first.
UNWIND $ids AS wanted
MATCH (:Customer {id: wanted})<-[:SURVIVOR|ABSORBED]-(e:MergeEvent)
WITH wanted, e
ORDER BY e.at DESC, e.id DESC
RETURN wanted AS id, e {.id, .kind, .at, .decided_by, .survivor, .absorbed, .explanation, .undone_at, .undone_by,
                        .moved_records} AS event
