// Contacts a channel recorded by service number only belong to whoever owns that subscription.
UNWIND $customers AS c
MATCH (x:Customer {id: c.id})-[:OWNS]->(:Subscription)<-[:ABOUT]-(k:Contact)
WHERE k.owner_record IS NULL
OPTIONAL MATCH (k)<-[old:HAD_CONTACT]-(other:Customer) WHERE other <> x
DELETE old
MERGE (x)-[:HAD_CONTACT]->(k)
RETURN count(DISTINCT k) AS attached
