// When a bulk first load began that never ended (its process was killed): loads refuse such a graph.
MATCH (v:SchemaVersion {id: 'graph'})
WHERE v.bulk_load_started_at IS NOT NULL
RETURN v.bulk_load_started_at AS started_at
