// What the tier and the service standing read of the customer's accounts, for a view without holdings:
// the day each opened (tenure), its bills of $bills_since..$bills_until and its points of $points_year
// from $points_source, in the row shape of accounts.
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:HAS_ACCOUNT]->(a)
  OPTIONAL MATCH (a)<-[:BILL_OF]-(b)
  WHERE b.month >= $bills_since AND b.month <= $bills_until
  WITH a, collect(CASE WHEN b IS NULL THEN NULL ELSE {month: b.month, amount: b.amount} END) AS bills
  OPTIONAL MATCH (a)<-[:POINTS_OF]-(p)
  WHERE p.source = $points_source AND p.year = $points_year
  WITH a, bills, sum(coalesce(p.points, 0)) AS points
  RETURN collect(CASE WHEN a IS NULL THEN NULL ELSE
                 {item: 'account', props: a {.id, .opened_at}, account: null, offering: null, bills: bills, points: points}
                 END) AS accounts
}
