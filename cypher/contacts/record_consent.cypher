// Record a consent to marketing or its withdrawal (an opt-out) with its evidence, on the live
// customer (a merged id records on its survivor). Never updated: a change of mind is a new record,
// and each is kept at least until its kept_until (rules.toml [contact_rules] consent_kept_months).
// view: unchanged (plans and consents are no part of the customer view: contactPermission and the work list read them fresh)
MATCH (asked:Customer {id: $customer})
OPTIONAL MATCH (asked)-[:MERGED_INTO*1..5]->(survivor:Customer {status: 'active'})
WITH coalesce(survivor, asked) AS c
WHERE c.status = 'active'
CREATE (x:Consent {id: $id})
SET x += $fields
CREATE (c)-[:GAVE_CONSENT]->(x)
RETURN c.id AS customer_id, x {.*} AS kept
