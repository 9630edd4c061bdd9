// Invariant: nothing hangs on a merged-away customer except its MERGED_INTO pointer and the
// merge events that name it.
MATCH (c:Customer {status: 'merged'})-[r]-(other)
WHERE NOT type(r) IN ['MERGED_INTO', 'ABSORBED', 'SURVIVOR']
RETURN c.id AS id, type(r) AS relationship, count(r) AS count
ORDER BY id
LIMIT $limit
