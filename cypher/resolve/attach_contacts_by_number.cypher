// Contacts a channel recorded by service number only belong to whoever owns that subscription.
// The WITH after the subscriptions makes FalkorDB expand from them instead of scanning contacts.
UNWIND $customers AS c
MATCH (x:Customer {id: c.id})-[:OWNS]->(s:Subscription)
WITH x, s
MATCH (s)<-[:ABOUT]-(k:Contact)
WITH x, k
WHERE k.owner_record IS NULL
OPTIONAL MATCH (k)<-[old:HAD_CONTACT]-(other:Customer) WHERE other <> x
FOREACH (left IN CASE WHEN other IS NULL THEN [] ELSE [other] END | SET view_changed(left))
DELETE old
MERGE (x)-[new:HAD_CONTACT]->(k)
ON CREATE SET view_changed(x)
RETURN count(DISTINCT k) AS attached
