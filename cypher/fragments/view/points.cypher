// The points of $points_year from $points_source over the customer's accounts (the tier's 6 stars).
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:HAS_ACCOUNT]->()<-[:POINTS_OF]-(p)
  WHERE p.source = $points_source AND p.year = $points_year
  RETURN sum(coalesce(p.points, 0)) AS points
}
