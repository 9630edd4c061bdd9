// A bulk first load has begun (Store.begin_bulk_load): marked on the version node until it ends, so a
// load that was interrupted is not taken for a whole one by the next.
// view: unchanged (the version node, which no customer view shows)
MATCH (v:SchemaVersion {id: 'graph'})
SET v.bulk_load_started_at = $at
RETURN v.version AS version
