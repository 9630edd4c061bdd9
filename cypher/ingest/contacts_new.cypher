// Create contacts the ingest found absent, with their source records, channel, handling employee and the
// subscriptions their service number names (CREATE, as ingest/subscriptions_new; a race makes the ingest
// repeat the batch with ingest/contacts). Same $rows as that file. A contact hangs at once on the live
// customer of its customer record or, when it names only a service number, on the live customers owning
// a subscription with that number; each customer it reaches gets a new version.
UNWIND $rows AS r
CREATE (s:SourceRecord)
SET s = r.record, s.loaded_at = $now, s.version = 1, s.changed_at = $now
CREATE (c:Contact)
SET c = r.node
CREATE (s)-[:DESCRIBES]->(c)
MERGE (ch:Channel {id: r.node.channel})
CREATE (c)-[:VIA]->(ch)
FOREACH (employee IN CASE WHEN r.employee IS NULL THEN [] ELSE [r.employee] END |
  MERGE (e:Employee {id: employee})
  CREATE (c)-[:HANDLED_BY]->(e))
WITH r, c
OPTIONAL MATCH (x:Subscription {service_no: coalesce(r.node.service_no, '')})
WITH r, c, collect(x) AS subscriptions
FOREACH (x IN subscriptions | CREATE (c)-[:ABOUT]->(x))
WITH r, c
OPTIONAL MATCH (:SourceRecord {id: coalesce(r.node.owner_record, '')})-[:RECORD_OF]->(customer:Customer)
WITH r, c, CASE WHEN customer.status = 'active' THEN customer END AS mine
OPTIONAL MATCH (c)-[:ABOUT]->(:Subscription)<-[:OWNS]-(numbered:Customer)
WHERE r.node.owner_record IS NULL
WITH c, collect(DISTINCT mine) + collect(DISTINCT CASE WHEN numbered.status = 'active' THEN numbered END) AS holders
FOREACH (holder IN holders | CREATE (holder)-[:HAD_CONTACT]->(c) SET view_changed(holder))
RETURN count(c) AS written
