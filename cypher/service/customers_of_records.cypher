// The live customers whose star level a set of just-written source records can move (app/tiers.py reads
// bills and points over a customer's accounts and the brands of its subscriptions): the customer a
// customer record belongs to, the owner of a subscription, the holder of a billed or pointed account.
UNWIND $ids AS id
MATCH (s:SourceRecord {id: id})
OPTIONAL MATCH (s)-[:RECORD_OF]->(own:Customer)
OPTIONAL MATCH (s)-[:DESCRIBES]->(:Subscription)<-[:OWNS]-(owner:Customer)
OPTIONAL MATCH (s)-[:DESCRIBES]->()-[:BILL_OF|POINTS_OF]->(:Account)<-[:HAS_ACCOUNT]-(holder:Customer)
WITH [c IN [own, owner, holder] WHERE c IS NOT NULL AND c.status = 'active' | c.id] AS reached
UNWIND reached AS customer
RETURN DISTINCT customer AS id
