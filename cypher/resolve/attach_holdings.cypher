// Hang each customer's accounts, subscriptions, contacts and account manager on it, from the
// source records it now owns; anything that hung on another customer moves.
// $customers: [{id, records: [record ids], manager}]
UNWIND $customers AS c
MATCH (x:Customer {id: c.id})
CALL {
  WITH x, c
  UNWIND c.records AS rid
  MATCH (a:Account {owner_record: rid})
  OPTIONAL MATCH (a)<-[old:HAS_ACCOUNT]-(other:Customer) WHERE other <> x
  DELETE old
  MERGE (x)-[:HAS_ACCOUNT]->(a)
  RETURN count(a) AS accounts
}
CALL {
  WITH x, c
  UNWIND c.records AS rid
  MATCH (s:Subscription {owner_record: rid})
  OPTIONAL MATCH (s)<-[old:OWNS]-(other:Customer) WHERE other <> x
  DELETE old
  MERGE (x)-[:OWNS]->(s)
  RETURN count(s) AS subscriptions
}
CALL {
  WITH x, c
  UNWIND c.records AS rid
  MATCH (k:Contact {owner_record: rid})
  OPTIONAL MATCH (k)<-[old:HAD_CONTACT]-(other:Customer) WHERE other <> x
  DELETE old
  MERGE (x)-[:HAD_CONTACT]->(k)
  RETURN count(k) AS contacts
}
CALL {
  WITH x
  MATCH (x)-[:OWNS]->(:Subscription)<-[:ABOUT]-(k:Contact)
  WHERE k.owner_record IS NULL
  MERGE (x)-[:HAD_CONTACT]->(k)
  RETURN count(k) AS contacts_by_number
}
CALL {
  WITH x, c
  OPTIONAL MATCH (x)-[old:MANAGED_BY]->(:Employee)
  DELETE old
  WITH DISTINCT x, c
  OPTIONAL MATCH (m:Employee {id: c.manager})
  OPTIONAL MATCH (m)-[:BACKED_UP_BY]->(b:Employee)
  FOREACH (a IN CASE WHEN m IS NULL THEN [] ELSE [m] END | MERGE (x)-[:MANAGED_BY {role: 'A'}]->(a))
  FOREACH (bb IN CASE WHEN b IS NULL THEN [] ELSE [b] END | MERGE (x)-[:MANAGED_BY {role: 'B'}]->(bb))
  RETURN count(m) AS managers
}
RETURN sum(accounts) AS accounts, sum(subscriptions) AS subscriptions, sum(contacts) AS contacts,
       sum(contacts_by_number) AS contacts_by_number, sum(managers) AS managers
