// The customer's subscriptions alone (the tier's brands, the service standing's contracts), in the
// row shape of held_subscriptions.
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:OWNS]->(x)
  RETURN collect(CASE WHEN x IS NULL THEN NULL ELSE
                 {item: 'subscription', props: x {.*}, account: null, offering: null} END) AS subscriptions
}
