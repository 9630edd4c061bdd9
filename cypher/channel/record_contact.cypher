// A channel records a touch with a customer, in one statement: the contact's source record, the
// contact, its channel, and the customer's version bump (so every channel's next read sees it).
// A merged id records on its survivor. Owner record: one of the customer's own source records,
// so that a later batch re-resolution keeps the contact with whoever holds that record. A touch
// made for a plan on the contact work list ($plan, checked as the customer's by the caller) marks
// the plan done and links it.
MATCH (asked:Customer {id: $customer})
OPTIONAL MATCH (asked)-[:MERGED_INTO*1..5]->(survivor:Customer {status: 'active'})
WITH coalesce(survivor, asked) AS c
WHERE c.status = 'active'
OPTIONAL MATCH (c)<-[:RECORD_OF]-(owner:SourceRecord)
WITH c, min(owner.id) AS owner_record
CREATE (s:SourceRecord {id: $id})
SET s = $record, s.id = $id, s.source = $source, s.kind = 'contacts', s.source_id = $source_id,
    s.loaded_at = $now, s.changed_at = $now, s.version = 1, s.owner_record = owner_record
CREATE (k:Contact {id: $id})
SET k += $node, k.owner_record = owner_record
CREATE (s)-[:DESCRIBES]->(k)
MERGE (ch:Channel {id: $node.channel})
CREATE (k)-[:VIA]->(ch)
CREATE (c)-[:HAD_CONTACT]->(k)
WITH c, k
OPTIONAL MATCH (plan:ContactPlan {id: coalesce($plan, '')})
WHERE plan.status = 'planned'
FOREACH (done IN CASE WHEN plan IS NULL THEN [] ELSE [plan] END |
  SET done.status = 'done', done.contact_id = k.id, done.done_at = $now
  CREATE (k)-[:FULFILS]->(done))
SET view_changed(c), c.updated_at = $now
RETURN c.id AS customer_id
