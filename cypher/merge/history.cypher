// A customer's merge history: every merge, unmerge and split event it took part in, newest first.
MATCH (e:MergeEvent)
WHERE e.survivor = $customer OR e.absorbed = $customer
RETURN e {.id, .kind, .at, .decided_by, .survivor, .absorbed, .explanation, .undone_at, .undone_by,
          .moved_records} AS event
ORDER BY event.at DESC, event.id DESC
