// The graph's schema version (app/store/migrations.py): its one SchemaVersion node. None on an empty
// graph and on a graph written by release 0.1.0, the last release without versions.
MATCH (v:SchemaVersion {id: 'graph'})
RETURN v.version AS version, v.migrated_at AS migrated_at
