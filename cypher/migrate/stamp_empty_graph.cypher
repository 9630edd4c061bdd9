// An empty graph is a fresh install of this release: stamp it with the release's schema version
// ($version) when its schema is set up, so it never needs `c360 store migrate`. A graph holding any
// node (data of an older release, or a graph already stamped) is left as it is.
OPTIONAL MATCH (n)
WITH n LIMIT 1
WITH n WHERE n IS NULL
MERGE (v:SchemaVersion {id: 'graph'})
ON CREATE SET v.version = $version, v.created_at = $at, v.migrated_at = $at
RETURN v.version AS version
