// Invariant: every customer source record belongs to at most one customer, and that one is active. A
// record on none awaits resolution (check/records_pending counts those): pending, not a violation.
MATCH (r:SourceRecord {kind: 'customers'})
OPTIONAL MATCH (r)-[:RECORD_OF]->(c:Customer)
WITH r, count(c) AS owners, collect(c.status) AS statuses
WHERE owners > 1 OR (owners = 1 AND statuses[0] <> 'active')
RETURN r.id AS id, owners, statuses
ORDER BY id
LIMIT $limit
