// Test probe: the demo's service-standards data once loaded, counted (tests/integration/test_demo_data.py).
// $brand: the four-star brand; $competitors: competitors' hotlines; $since, $until: stored instants of
// the 30 days before the clock's day; $today, $soon: the clock's day and 30 days later (YYYY-MM-DD).
OPTIONAL MATCH (x:Subscription)
WHERE x.brand = $brand
WITH count(x) AS branded
OPTIONAL MATCH (c:Customer)
WHERE c.status = 'active' AND c.vip_card IS NOT NULL AND c.vip_card_since IS NOT NULL
WITH branded, count(c) AS carded
OPTIONAL MATCH (k:Contact)
WHERE k.called_number IN $competitors AND k.at >= $since AND k.at < $until
WITH branded, carded, count(k) AS competitor_calls
OPTIONAL MATCH (e:Subscription)
WHERE e.end_date >= $today AND e.end_date <= $soon AND e.status <> 'cancelled'
WITH branded, carded, competitor_calls, count(e) AS expiring
OPTIONAL MATCH (f:Contact {kind: 'fault_report'})-[:ABOUT]->(s:Subscription {product_type: 'broadband'})
WHERE f.at >= $since AND f.at < $until
WITH branded, carded, competitor_calls, expiring, s, count(f) AS reports
RETURN branded, carded, competitor_calls, expiring, sum(CASE WHEN reports >= 3 THEN 1 ELSE 0 END) AS fault_runs
