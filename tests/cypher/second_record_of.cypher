// view: unchanged (a test's broken state, made on purpose)
// Test state: a record hung on a second, retired customer as well as its own, which
// check/records_without_one_live_customer reports; an ingest must not multiply a holding's edges over it.
MATCH (s:SourceRecord {id: $record}), (c:Customer {id: $customer})
SET c.status = 'merged'
CREATE (s)-[:RECORD_OF]->(c)
RETURN count(c) AS linked
