// Test probe: every yearly points node with the accounts it hangs on.
MATCH (p:Points)
OPTIONAL MATCH (p)-[:POINTS_OF]->(a:Account)
RETURN p {.*} AS node, collect(a.id) AS accounts
ORDER BY node.id
