// Upsert contacts with their source records, channel, handling employee and the
// subscriptions their service number names. $rows: [{id, record, node, employee}].
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
WITH c, collect(x) AS subscriptions
FOREACH (x IN subscriptions | MERGE (c)-[:ABOUT]->(x))
WITH c
CALL { WITH c
  MATCH (owner:Customer)-[:HAD_CONTACT]->(c)
  SET view_changed(owner)
  RETURN count(owner) AS owners }
RETURN count(c) AS written
