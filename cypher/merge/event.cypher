// One merge event with what it moved.
MATCH (e:MergeEvent {id: $event})
RETURN e {.*} AS event
