// Invariant: nothing hangs on a merged-away customer except its MERGED_INTO pointer, the merge
// events that name it, and the contact plans and consents it was given (read with its survivor's,
// contacts/permission_facts, and its own again after an unmerge).
MATCH (c:Customer {status: 'merged'})-[r]-(other)
WHERE NOT type(r) IN ['MERGED_INTO', 'ABSORBED', 'SURVIVOR', 'PLANNED', 'GAVE_CONSENT']
RETURN c.id AS id, type(r) AS relationship, count(r) AS count
ORDER BY id
LIMIT $limit
