// Upsert subscriptions with their source records, offering and billing account.
// $rows: [{id, record, node, account, offering, offering_name}].
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r.id})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = r.record
SET s.loaded_at = first_loaded, s.version = version, s.changed_at = $now
MERGE (x:Subscription {id: r.id})
SET x += r.node
MERGE (s)-[:DESCRIBES]->(x)
WITH r, x
OPTIONAL MATCH (x)-[old:ON_OFFERING|BILLED_TO]->()
DELETE old
WITH DISTINCT r, x
FOREACH (code IN CASE WHEN r.offering IS NULL THEN [] ELSE [r.offering] END |
  MERGE (o:Offering {id: code})
  SET o.name = coalesce(r.offering_name, o.name)
  MERGE (x)-[:ON_OFFERING]->(o))
FOREACH (account IN CASE WHEN r.account IS NULL THEN [] ELSE [r.account] END |
  MERGE (a:Account {id: account})
  MERGE (x)-[:BILLED_TO]->(a))
RETURN count(x) AS written
