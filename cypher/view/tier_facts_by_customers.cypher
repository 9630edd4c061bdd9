// What the star levels of several customers are computed from (app/tiers.py), one row per customer:
// their bills of $since..$until summed by month, the points of $points_year from $points_source
// summed over their accounts, and the brands of their active subscriptions.
// Anchored customer -> accounts -> bills (the WITHs keep FalkorDB from scanning every bill).
// Far ends carry no label where the relationship type says what they are (docs/graph-model.md).
UNWIND $ids AS id
MATCH (c:Customer {id: id})
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:HAS_ACCOUNT]->()<-[:BILL_OF]-(b)
  WHERE b.month >= $since AND b.month <= $until
  RETURN collect(CASE WHEN b IS NULL THEN NULL ELSE {month: b.month, amount: b.amount} END) AS bills
}
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:HAS_ACCOUNT]->()<-[:POINTS_OF]-(p)
  WHERE p.source = $points_source AND p.year = $points_year
  RETURN sum(coalesce(p.points, 0)) AS points
}
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:OWNS]->(s)
  WHERE s.status = 'active' AND s.brand IS NOT NULL
  RETURN collect(DISTINCT s.brand) AS brands
}
RETURN id, bills, points, brands
