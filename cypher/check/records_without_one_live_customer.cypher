// Invariant: every customer source record belongs to exactly one customer, and that one is active.
MATCH (r:SourceRecord {kind: 'customers'})
OPTIONAL MATCH (r)-[:RECORD_OF]->(c:Customer)
WITH r, count(c) AS owners, collect(c.status) AS statuses
WHERE owners <> 1 OR statuses[0] <> 'active'
RETURN r.id AS id, owners, statuses
ORDER BY id
LIMIT $limit
