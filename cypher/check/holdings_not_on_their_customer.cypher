// Invariant: every account, subscription and contact hangs on the customer that holds its owner
// source record (contacts recorded by service number only are exempt: they follow the number).
MATCH (r:SourceRecord)-[:RECORD_OF]->(c:Customer)
MATCH (h:Account {owner_record: r.id})
WHERE NOT (c)-[:HAS_ACCOUNT]->(h)
RETURN 'Account' AS label, h.id AS id, c.id AS customer
UNION ALL
MATCH (r:SourceRecord)-[:RECORD_OF]->(c:Customer)
MATCH (h:Subscription {owner_record: r.id})
WHERE NOT (c)-[:OWNS]->(h)
RETURN 'Subscription' AS label, h.id AS id, c.id AS customer
UNION ALL
MATCH (r:SourceRecord)-[:RECORD_OF]->(c:Customer)
MATCH (h:Contact {owner_record: r.id})
WHERE NOT (c)-[:HAD_CONTACT]->(h)
RETURN 'Contact' AS label, h.id AS id, c.id AS customer
