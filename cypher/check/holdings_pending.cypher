// Not an invariant: holdings waiting for their customer. An account, subscription, contact,
// opportunity or case whose owner source record has no customer yet (a customer record loaded but not
// resolved: before the first `c360 resolve`, or a bulk load past the incremental limit) hangs on
// nobody until resolution links the record. One row per label: how many wait, and a few of them.
MATCH (h:Account)
WITH h
MATCH (r:SourceRecord {id: h.owner_record})
WHERE NOT (r)-[:RECORD_OF]->(:Customer)
WITH count(h) AS pending, collect(h.id)[0..$limit] AS examples
RETURN 'Account' AS label, pending, examples
UNION ALL
MATCH (h:Subscription)
WITH h
MATCH (r:SourceRecord {id: h.owner_record})
WHERE NOT (r)-[:RECORD_OF]->(:Customer)
WITH count(h) AS pending, collect(h.id)[0..$limit] AS examples
RETURN 'Subscription' AS label, pending, examples
UNION ALL
MATCH (h:Contact)
WHERE h.owner_record IS NOT NULL
WITH h
MATCH (r:SourceRecord {id: h.owner_record})
WHERE NOT (r)-[:RECORD_OF]->(:Customer)
WITH count(h) AS pending, collect(h.id)[0..$limit] AS examples
RETURN 'Contact' AS label, pending, examples
UNION ALL
MATCH (h:Opportunity)
WITH h
MATCH (r:SourceRecord {id: h.owner_record})
WHERE NOT (r)-[:RECORD_OF]->(:Customer)
WITH count(h) AS pending, collect(h.id)[0..$limit] AS examples
RETURN 'Opportunity' AS label, pending, examples
UNION ALL
MATCH (h:Case)
WITH h
MATCH (r:SourceRecord {id: h.owner_record})
WHERE NOT (r)-[:RECORD_OF]->(:Customer)
WITH count(h) AS pending, collect(h.id)[0..$limit] AS examples
RETURN 'Case' AS label, pending, examples
