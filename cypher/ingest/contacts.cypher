// Upsert contacts with their source records, channel, handling employee and the
// subscriptions their service number names. $rows: [{id, record, node, employee}].
// A contact hangs at once on the live customer of its customer record, or, when it names only a
// service number, on the live customers owning a subscription with that number (as
// resolve/attach_contacts and attach_contacts_by_number do after a batch run), and leaves any other
// customer. One whose record awaits resolution hangs on none yet (check/holdings_pending counts them).
// Each customer it reaches or leaves gets a new version.
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r.id})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = r.record
SET s.loaded_at = first_loaded, s.version = version, s.changed_at = $now
MERGE (c:Contact {id: r.id})
SET c += r.node
MERGE (s)-[:DESCRIBES]->(c)
MERGE (ch:Channel {id: r.node.channel})
MERGE (c)-[:VIA]->(ch)
FOREACH (employee IN CASE WHEN r.employee IS NULL THEN [] ELSE [r.employee] END |
  MERGE (e:Employee {id: employee})
  MERGE (c)-[:HANDLED_BY]->(e))
WITH r, c
OPTIONAL MATCH (x:Subscription {service_no: r.node.service_no})
WITH r, c, collect(x) AS subscriptions
FOREACH (x IN subscriptions | MERGE (c)-[:ABOUT]->(x))
WITH r, c
OPTIONAL MATCH (owned:SourceRecord {id: coalesce(r.node.owner_record, '')})
WITH r, c, owned
OPTIONAL MATCH (owned)-[:RECORD_OF]->(customer:Customer)
WITH r, c, CASE WHEN customer.status = 'active' THEN customer END AS mine
OPTIONAL MATCH (c)-[:ABOUT]->(:Subscription)<-[:OWNS]-(numbered:Customer)
WHERE r.node.owner_record IS NULL
WITH c, mine, CASE WHEN numbered.status = 'active' THEN numbered END AS by_number
WITH c, collect(DISTINCT mine) + collect(DISTINCT by_number) AS holders
OPTIONAL MATCH (c)<-[held:HAD_CONTACT]-(other:Customer)
WHERE NOT other IN holders
FOREACH (left IN CASE WHEN other IS NULL THEN [] ELSE [other] END | SET view_changed(left))
DELETE held
WITH DISTINCT c, holders
FOREACH (holder IN holders | MERGE (holder)-[:HAD_CONTACT]->(c))
WITH c
CALL { WITH c
  MATCH (owner:Customer)-[:HAD_CONTACT]->(c)
  SET view_changed(owner)
  RETURN count(owner) AS owners }
RETURN count(c) AS written
