// Record a consent to marketing or its withdrawal (an opt-out) with its evidence, on the live
// customer (a merged id records on its survivor). Never updated: a change of mind is a new record,
// and each is kept at least until its kept_until (rules.toml [contact_rules] consent_kept_months).
// Owner record: one of the customer's own source records, so that a split or a batch re-resolution
// keeps the consent with whoever holds that record (as a channel's contact is kept).
// view: unchanged (plans and consents are no part of the customer view: contactPermission and the work list read them fresh)
MATCH (asked:Customer {id: $customer})
OPTIONAL MATCH (asked)-[:MERGED_INTO*1..5]->(survivor:Customer {status: 'active'})
WITH coalesce(survivor, asked) AS c
WHERE c.status = 'active'
OPTIONAL MATCH (c)<-[:RECORD_OF]-(owner:SourceRecord)
WITH c, min(owner.id) AS owner_record
CREATE (x:Consent {id: $id})
SET x += $fields, x.owner_record = owner_record
CREATE (c)-[:GAVE_CONSENT]->(x)
RETURN c.id AS customer_id, x {.*} AS kept
