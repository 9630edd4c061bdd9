// One merge or split event by its id (node(id: "MergeEvent:...")).
MATCH (e:MergeEvent {id: $id})
RETURN e {.id, .kind, .at, .decided_by, .survivor, .absorbed, .explanation, .undone_at, .undone_by,
          .moved_records} AS event
