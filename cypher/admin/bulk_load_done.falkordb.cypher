// A bulk first load is whole: its mark taken off the version node.
MATCH (v:SchemaVersion {id: 'graph'})
// view: unchanged (the version node, which no customer view shows)
SET v.bulk_load_started_at = null
RETURN v.version AS version
