// Purpose: Bundle (融合) penetration per segment: the share of active customers with at least one
//          offering that $min_subscriptions or more of their own subscriptions are on.
// Parameters: $min_subscriptions - subscriptions on one offering that make a bundle (e.g. 2)
// Columns: segment, customers, bundled, share (bundled / customers, 4 decimals)
MATCH (c:Customer {status: 'active'})
OPTIONAL MATCH (c)<-[:RECORD_OF]-(r:SourceRecord)
OPTIONAL MATCH (x:Subscription {owner_record: r.id})-[:ON_OFFERING]->(o:Offering)
WITH c, o, count(DISTINCT x) AS on_offering
WITH c, max(CASE WHEN o IS NOT NULL AND on_offering >= $min_subscriptions THEN 1 ELSE 0 END) AS bundled
WITH c.segment AS segment, count(c) AS customers, count(CASE WHEN bundled = 1 THEN 1 END) AS bundled
RETURN segment, customers, bundled, round(10000.0 * bundled / customers) / 10000.0 AS share
ORDER BY segment
