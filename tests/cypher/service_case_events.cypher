// Test probe: every case event with the cases it hangs on.
MATCH (e:CaseEvent)
OPTIONAL MATCH (e)-[:EVENT_OF]->(k:Case)
RETURN e {.*} AS node, collect(k.id) AS cases
ORDER BY node.id
