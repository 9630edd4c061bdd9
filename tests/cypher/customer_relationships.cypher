// Test snapshot of what hangs on every customer, to prove merge + unmerge gives back the same graph.
MATCH (c:Customer)-[r]-(t)
WHERE NOT type(r) IN ['MERGED_INTO', 'ABSORBED', 'SURVIVOR']
RETURN c.id AS customer, c.status AS status, type(r) AS relationship, t.id AS target
