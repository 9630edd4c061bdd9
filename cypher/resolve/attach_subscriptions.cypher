// Hang each customer's subscriptions on it, from the source records it now owns (see attach_accounts).
UNWIND $customers AS c
MATCH (x:Customer {id: c.id})
UNWIND c.records AS rid
MATCH (s:Subscription {owner_record: rid})
OPTIONAL MATCH (s)<-[old:OWNS]-(other:Customer) WHERE other <> x
FOREACH (left IN CASE WHEN other IS NULL THEN [] ELSE [other] END | SET view_changed(left))
DELETE old
MERGE (x)-[new:OWNS]->(s)
ON CREATE SET view_changed(x)
RETURN count(DISTINCT s) AS attached
