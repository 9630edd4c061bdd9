// Hang each customer's contacts on it, from the source records it now owns (see attach_accounts).
UNWIND $customers AS c
MATCH (x:Customer {id: c.id})
UNWIND c.records AS rid
MATCH (k:Contact {owner_record: rid})
OPTIONAL MATCH (k)<-[old:HAD_CONTACT]-(other:Customer) WHERE other <> x
FOREACH (left IN CASE WHEN other IS NULL THEN [] ELSE [other] END | SET view_changed(left))
DELETE old
MERGE (x)-[new:HAD_CONTACT]->(k)
ON CREATE SET view_changed(x)
RETURN count(DISTINCT k) AS attached
