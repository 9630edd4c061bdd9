// The customer's subscriptions with what the tier (active brands) and the service standing (contracts)
// read of them, in the row shape of held_subscriptions.
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:OWNS]->(x)
  RETURN collect(CASE WHEN x IS NULL THEN NULL ELSE
                 {item: 'subscription', props: x {.service_no, .product_type, .status, .start_date, .end_date, .brand},
                  account: null, offering: null} END) AS subscriptions
}
