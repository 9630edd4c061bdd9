// Test probe: every case with the customers that hold it and the ids of its events, in id order.
MATCH (k:Case)
OPTIONAL MATCH (c:Customer)-[:HAS_CASE]->(k)
WITH k, collect(c.id) AS holders
OPTIONAL MATCH (e:CaseEvent)-[:EVENT_OF]->(k)
WITH k, holders, e
ORDER BY e.id
RETURN k {.*} AS node, holders, collect(e.id) AS events
ORDER BY node.id
