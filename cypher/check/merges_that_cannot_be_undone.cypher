// Invariant: every merge not yet undone can be undone: its absorbed customer is still marked
// merged and points to a survivor that exists.
MATCH (e:MergeEvent {kind: 'merge'})-[:ABSORBED]->(a:Customer)
WHERE e.undone_at IS NULL
OPTIONAL MATCH (e)-[:SURVIVOR]->(s:Customer)
WITH e, a, s
WHERE a.status <> 'merged' OR s IS NULL OR NOT (a)-[:MERGED_INTO]->(:Customer)
RETURN e.id AS id, a.status AS absorbed_status, s IS NULL AS survivor_missing
ORDER BY id
LIMIT $limit
