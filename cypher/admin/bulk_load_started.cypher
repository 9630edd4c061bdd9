// A bulk first load has begun (Store.begin_bulk_load): marked on the version node until it ends, so a
// load that was interrupted is not taken for a whole one by the next; $token names this load.
// view: unchanged (the version node, which no customer view shows)
MATCH (v:SchemaVersion {id: 'graph'})
WHERE v.bulk_load_started_at IS NULL
SET v.bulk_load_started_at = $at, v.bulk_load = $token
RETURN v.version AS version
