// Invariant: a customer points to the one it was merged into exactly while it is merged away; one made
// active again by an unmerge points nowhere (an unmerge on the embedded store before the twenty-first
// session's fix left merged_into behind: docs/graph-model.md).
MATCH (c:Customer)
WHERE (c.status = 'merged') <> (c.merged_into IS NOT NULL)
RETURN c.id AS customer, c.status AS status, c.merged_into AS merged_into
ORDER BY customer
LIMIT $limit
