// After each migration has committed: the version it brought the graph to, so that a migration
// stopped half-way is run again (they are idempotent) and the ones before it are not.
MERGE (v:SchemaVersion {id: 'graph'})
ON CREATE SET v.created_at = $at
SET v.version = $version, v.migrated_at = $at
RETURN v.version AS version
