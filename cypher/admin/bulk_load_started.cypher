// A bulk first load has begun (Store.begin_bulk_load): marked on the version node until it ends, so a
// load that was interrupted is not taken for a whole one by the next; $token names this load. The node
// is written first (the time of the latest attempt), which locks it before its mark is read, so of two
// loads begun at once on Neo4j one finds the other's mark and gets no row.
// view: unchanged (the version node, which no customer view shows)
MATCH (v:SchemaVersion {id: 'graph'})
SET v.bulk_load_tried_at = $at
WITH v
WITH v
WHERE v.bulk_load_started_at IS NULL
SET v.bulk_load_started_at = $at, v.bulk_load = $token
RETURN v.version AS version
