// Create contacts the ingest found absent, with their source records, channel, handling employee and the
// subscriptions their service number names (CREATE, as ingest/subscriptions_new; a race makes the ingest
// repeat the batch with ingest/contacts). Same $rows as that file. A contact hangs at once on the live
// customer of its customer record or, when it names only a service number, on the live customers owning
// a subscription with that number; each customer it reaches gets a new version.
// The batch's few channels are merged once and picked from a list; the rows carry only what the lookups
// after their creation need, and the lookups name no label a relationship already implies: on FalkorDB
// each of these costs a measurable share of a row (docs/benchmarks.md, thirtieth session).
UNWIND $rows AS r
WITH DISTINCT r.node.channel AS name
MERGE (ch:Channel {id: name})
WITH collect(ch) AS channels
UNWIND $rows AS r
CREATE (s:SourceRecord)
SET s = r.record, s.loaded_at = $now, s.version = 1, s.changed_at = $now
CREATE (c:Contact)
SET c = r.node
CREATE (s)-[:DESCRIBES]->(c)
WITH c, [x IN channels WHERE x.id = r.node.channel][0] AS ch, r.employee AS employee,
     r.node.owner_record AS owner, r.node.service_no AS number
CREATE (c)-[:VIA]->(ch)
FOREACH (id IN CASE WHEN employee IS NULL THEN [] ELSE [employee] END |
  MERGE (e:Employee {id: id})
  CREATE (c)-[:HANDLED_BY]->(e))
WITH c, owner, number
OPTIONAL MATCH (:SourceRecord {id: coalesce(owner, '')})-[:RECORD_OF]->(customer)
WITH c, owner, number, CASE WHEN customer.status = 'active' THEN customer END AS mine
OPTIONAL MATCH (x:Subscription {service_no: coalesce(number, '')})
OPTIONAL MATCH (x)<-[:OWNS]-(numbered)
WHERE owner IS NULL AND numbered.status = 'active'
WITH c, collect(DISTINCT mine) AS mine, collect(DISTINCT x) AS subscriptions, collect(DISTINCT numbered) AS by_number
FOREACH (x IN subscriptions | CREATE (c)-[:ABOUT]->(x))
WITH c, mine + by_number AS holders
FOREACH (holder IN holders | CREATE (holder)-[:HAD_CONTACT]->(c) SET view_changed(holder))
RETURN count(c) AS written
