// Invariant: every account, subscription, contact, opportunity and case hangs on the customer that holds
// its owner source record (contacts recorded by service number only are exempt: they follow the
// number). A holding whose owner record has no customer yet, a record awaiting its first resolution,
// is no violation: check/holdings_pending counts those.
// Anchored on each holding, then an index lookup of its owner record: linear in the graph.
MATCH (h:Account)
WITH h
MATCH (r:SourceRecord {id: h.owner_record})
WITH h, r
MATCH (r)-[:RECORD_OF]->(c:Customer)
WHERE NOT (c)-[:HAS_ACCOUNT]->(h)
RETURN 'Account' AS label, h.id AS id, c.id AS customer
UNION ALL
MATCH (h:Subscription)
WITH h
MATCH (r:SourceRecord {id: h.owner_record})
WITH h, r
MATCH (r)-[:RECORD_OF]->(c:Customer)
WHERE NOT (c)-[:OWNS]->(h)
RETURN 'Subscription' AS label, h.id AS id, c.id AS customer
UNION ALL
MATCH (h:Contact)
WHERE h.owner_record IS NOT NULL
WITH h
MATCH (r:SourceRecord {id: h.owner_record})
WITH h, r
MATCH (r)-[:RECORD_OF]->(c:Customer)
WHERE NOT (c)-[:HAD_CONTACT]->(h)
RETURN 'Contact' AS label, h.id AS id, c.id AS customer
UNION ALL
MATCH (h:Opportunity)
WITH h
MATCH (r:SourceRecord {id: h.owner_record})
WITH h, r
MATCH (r)-[:RECORD_OF]->(c:Customer)
WHERE NOT (c)-[:HAS_OPPORTUNITY]->(h)
RETURN 'Opportunity' AS label, h.id AS id, c.id AS customer
UNION ALL
MATCH (h:Case)
WITH h
MATCH (r:SourceRecord {id: h.owner_record})
WITH h, r
MATCH (r)-[:RECORD_OF]->(c:Customer)
WHERE NOT (c)-[:HAS_CASE]->(h)
RETURN 'Case' AS label, h.id AS id, c.id AS customer
