// The customer's subscriptions with the account each is billed to and its offering (holdings).
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:OWNS]->(x)
  OPTIONAL MATCH (x)-[:BILLED_TO]->(a)
  OPTIONAL MATCH (x)-[:ON_OFFERING]->(o)
  RETURN collect(CASE WHEN x IS NULL THEN NULL ELSE
                 {item: 'subscription', props: x {.*}, account: a.id, offering: o {.*}} END) AS subscriptions
}
