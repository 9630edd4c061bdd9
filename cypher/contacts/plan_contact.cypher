// Put a touch on the unified contact work list (统一客户接触派单), on the live customer (a merged id
// plans on its survivor). The caller has checked the no-repeated-disturbance rules just before, on
// facts read at the customer's plans_version $seen: checked after the lock, in the same statement, so
// that of two plans judged on the same facts one is written and the other judged again (no row).
// Owner record: one of the customer's own source records, so that a split or a batch re-resolution
// keeps the plan with whoever holds that record (as a channel's contact is kept).
// view: unchanged (plans and consents are no part of the customer view: contactPermission and the work list read them fresh)
MATCH (asked:Customer {id: $customer})
OPTIONAL MATCH (asked)-[:MERGED_INTO*1..5]->(survivor:Customer {status: 'active'})
WITH coalesce(survivor, asked) AS c
WHERE c.status = 'active'
SET c.lock = $fields.planned_at
WITH c
REMOVE c.lock
WITH c
WITH c
WHERE coalesce(c.plans_version, 0) = $seen
SET c.plans_version = $seen + 1
WITH c
OPTIONAL MATCH (c)<-[:RECORD_OF]-(owner:SourceRecord)
WITH c, min(owner.id) AS owner_record
CREATE (p:ContactPlan {id: $id})
SET p += $fields, p.owner_record = owner_record
CREATE (c)-[:PLANNED]->(p)
RETURN c.id AS customer_id, p {.*} AS kept
