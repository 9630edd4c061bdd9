// Hang each customer's subscriptions on it, from the source records it now owns (see attach_accounts).
UNWIND $customers AS c
MATCH (x:Customer {id: c.id})
UNWIND c.records AS rid
MATCH (s:Subscription {owner_record: rid})
OPTIONAL MATCH (s)<-[old:OWNS]-(other:Customer) WHERE other <> x
DELETE old
MERGE (x)-[:OWNS]->(s)
RETURN count(DISTINCT s) AS attached
