// The customer's accounts (holdings; the days they opened, for the service standing's tenure).
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:HAS_ACCOUNT]->(a)
  RETURN collect(CASE WHEN a IS NULL THEN NULL ELSE
                 {item: 'account', props: a {.*}, account: null, offering: null} END) AS accounts
}
