// Split chosen source records out of a customer into a new one, in ONE statement: the records,
// and the accounts, subscriptions, contacts, cases, contact plans and consents that came with them (by
// owner_record), move to the
// new customer; a MergeEvent of kind 'split' records it, and the steward's decisions ($decisions: the
// records split out are one customer, and not the customer of those left) with it. No row when the
// customer changed since read.
// The customer kept loses the marks a batch run leaves a customer alone by (holdings_attached,
// golden_digest), so the next run writes it and re-attaches its holdings.
MATCH (c:Customer {id: $customer})
SET c.lock = $event
WITH c
REMOVE c.lock
WITH c
WITH c
WHERE c.status = 'active' AND c.version = $version
CREATE (n:Customer {id: $new_customer, status: 'active', version: 1, created_at: $now, updated_at: $now})
SET n += $new_golden
WITH c, n
CALL { WITH c, n
  UNWIND $records AS rid
  MATCH (c)<-[r:RECORD_OF]-(t:SourceRecord {id: rid})
  CREATE (n)<-[x:RECORD_OF]-(t)
  SET x = properties(r), x.split_by = $event
  DELETE r
  RETURN count(x) AS records }
CALL { WITH c, n
  MATCH (c)-[r:HAS_ACCOUNT]->(t:Account)
  WHERE t.owner_record IN $records
  CREATE (n)-[x:HAS_ACCOUNT]->(t)
  SET x = properties(r), x.split_by = $event
  DELETE r
  RETURN count(x) AS accounts }
CALL { WITH c, n
  MATCH (c)-[r:OWNS]->(t:Subscription)
  WHERE t.owner_record IN $records
  CREATE (n)-[x:OWNS]->(t)
  SET x = properties(r), x.split_by = $event
  DELETE r
  RETURN count(x) AS subscriptions }
CALL { WITH c, n
  MATCH (c)-[r:HAD_CONTACT]->(t:Contact)
  WHERE t.owner_record IN $records
  CREATE (n)-[x:HAD_CONTACT]->(t)
  SET x = properties(r), x.split_by = $event
  DELETE r
  RETURN count(x) AS contacts }
CALL { WITH c, n
  MATCH (c)-[r:HAS_CASE]->(t:Case)
  WHERE t.owner_record IN $records
  CREATE (n)-[x:HAS_CASE]->(t)
  SET x = properties(r), x.split_by = $event
  DELETE r
  RETURN count(x) AS cases }
CALL { WITH c, n
  MATCH (c)-[r:PLANNED]->(t:ContactPlan)
  WHERE t.owner_record IN $records
  CREATE (n)-[x:PLANNED]->(t)
  DELETE r
  RETURN count(x) AS plans }
CALL { WITH c, n
  MATCH (c)-[r:GAVE_CONSENT]->(t:Consent)
  WHERE t.owner_record IN $records
  CREATE (n)-[x:GAVE_CONSENT]->(t)
  DELETE r
  RETURN count(x) AS consents }
CREATE (e:MergeEvent {id: $event, kind: 'split', at: $now, decided_by: $decided_by, explanation: $explanation,
                      survivor: c.id, absorbed: n.id, moved_records: $records})
CREATE (e)-[:SURVIVOR]->(c)
CREATE (e)-[:ABSORBED]->(n)
// The golden values come without nulls; the attributes it no longer has are removed one per FOREACH
// iteration (FalkorDB 4.16 can remove the wrong one of several removed at once: docs/graph-model.md).
SET c += $old_golden, view_changed(c), c.updated_at = $now
FOREACH (gone IN $old_cleared + [{holdings_attached: null}, {golden_digest: null}] | SET c += gone)
FOREACH (x IN $decisions | CREATE (d:StewardDecision) SET d = x)
WITH e, c, records + accounts + subscriptions + contacts + cases + plans + consents AS moved
CALL { WITH c
  MATCH (c)-[:MEMBER_OF]-(shown:Customer)
  SET view_changed(shown)
  RETURN count(shown) AS neighbours }
RETURN e.id AS event, moved
