// The demo traffic's customers (demo/traffic.py): $limit active individuals by id, each with its
// primary account manager (null for none) and one of its customer records' identifying fields.
MATCH (c:Customer)
WHERE c.status = 'active' AND c.segment = 'individual'
WITH c ORDER BY c.id LIMIT $limit
OPTIONAL MATCH (c)-[:MANAGED_BY {role: 'A'}]->(e:Employee)
WITH c, min(e.id) AS manager
OPTIONAL MATCH (c)<-[:RECORD_OF]-(s:SourceRecord)
WITH c, manager, s ORDER BY s.id
WITH c, manager, collect(s {.name, .cert_type, .cert_no, .phones}) AS records
RETURN c.id AS id, c.local_network AS network, c.name AS name, manager, records[0] AS record
ORDER BY id
