// A channel captures an opportunity (商机), routed at once (the system's first transfer), in one
// statement: its source record, the opportunity with its receiver ($routed, $covering: employee ids or
// null for the operations centre's queue), its events ($events) and, for a sale the channel completed,
// the follow-up call-back ($call_back, or null). $customer may be null (the channel could not tell);
// a merged id captures on its survivor; a customer id that is no live customer gives no row. Owner
// record: one of the customer's own source records, so a batch re-resolution keeps the opportunity
// with whoever holds that record (resolve/attach_opportunities).
OPTIONAL MATCH (asked:Customer {id: $customer})
OPTIONAL MATCH (asked)-[:MERGED_INTO*1..5]->(survivor:Customer {status: 'active'})
WITH coalesce(survivor, asked) AS c
WITH c
WHERE $customer IS NULL OR c.status = 'active'
OPTIONAL MATCH (c)<-[:RECORD_OF]-(owner:SourceRecord)
WITH c, min(owner.id) AS owner_record
OPTIONAL MATCH (routed:Employee {id: $routed})
OPTIONAL MATCH (covering:Employee {id: $covering})
CREATE (s:SourceRecord)
SET s = $record, s.owner_record = owner_record
CREATE (o:Opportunity)
SET o = $node, o.owner_record = owner_record
CREATE (s)-[:DESCRIBES]->(o)
FOREACH (x IN CASE WHEN c IS NULL THEN [] ELSE [c] END |
  CREATE (x)-[:HAS_OPPORTUNITY]->(o)
  SET view_changed(x), x.updated_at = $now)
FOREACH (e IN CASE WHEN routed IS NULL THEN [] ELSE [routed] END | CREATE (o)-[:ROUTED_TO]->(e))
FOREACH (e IN CASE WHEN covering IS NULL THEN [] ELSE [covering] END | CREATE (o)-[:COVERED_BY]->(e))
FOREACH (step IN $events | CREATE (x:OpportunityEvent) SET x = step CREATE (o)-[:HAD_EVENT]->(x))
FOREACH (task IN CASE WHEN $call_back IS NULL THEN [] ELSE [$call_back] END |
  CREATE (b:CallBack) SET b = task CREATE (o)-[:CALL_BACK]->(b))
RETURN o.id AS id, c.id AS customer_id
