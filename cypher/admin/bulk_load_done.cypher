// A bulk first load is whole: its mark taken off the version node, if it is still this load's ($token);
// no row back means another load replaced the graph meanwhile.
// view: unchanged (the version node, which no customer view shows)
MATCH (v:SchemaVersion {id: 'graph'})
WHERE v.bulk_load = $token
REMOVE v.bulk_load_started_at
WITH v
REMOVE v.bulk_load
WITH v
REMOVE v.bulk_load_tried_at
RETURN v.version AS version
