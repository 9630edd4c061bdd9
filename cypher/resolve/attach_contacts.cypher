// Hang each customer's contacts on it, from the source records it now owns (see attach_accounts).
UNWIND $customers AS c
MATCH (x:Customer {id: c.id})
UNWIND c.records AS rid
MATCH (k:Contact {owner_record: rid})
OPTIONAL MATCH (k)<-[old:HAD_CONTACT]-(other:Customer) WHERE other <> x
DELETE old
MERGE (x)-[:HAD_CONTACT]->(k)
RETURN count(DISTINCT k) AS attached
