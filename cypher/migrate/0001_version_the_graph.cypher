// Migration 1, "version the graph": a graph written by release 0.1.0 has no SchemaVersion node.
// Create it at version 0; migrate() records version 1 once this has committed. Nothing else changes.
MERGE (v:SchemaVersion {id: 'graph'})
ON CREATE SET v.version = 0, v.created_at = $at
RETURN v.version AS version
