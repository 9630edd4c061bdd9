// Put a touch on the unified contact work list (统一客户接触派单), on the live customer (a merged id
// plans on its survivor). The caller has checked the no-repeated-disturbance rules just before.
// view: unchanged (plans and consents are no part of the customer view: contactPermission and the work list read them fresh)
MATCH (asked:Customer {id: $customer})
OPTIONAL MATCH (asked)-[:MERGED_INTO*1..5]->(survivor:Customer {status: 'active'})
WITH coalesce(survivor, asked) AS c
WHERE c.status = 'active'
CREATE (p:ContactPlan {id: $id})
SET p += $fields
CREATE (c)-[:PLANNED]->(p)
RETURN c.id AS customer_id, p {.*} AS kept
