// Opportunities by id with their hand-off: the customer holding each, its events, its call-back and the
// employee who claimed it. One row per opportunity found.
UNWIND $ids AS id
MATCH (o:Opportunity {id: id})
OPTIONAL MATCH (c:Customer)-[:HAS_OPPORTUNITY]->(o)
WITH o, head(collect(c.id)) AS customer_id
OPTIONAL MATCH (o)-[:HAD_EVENT]->(x:OpportunityEvent)
WITH o, customer_id, collect(x {.*}) AS events
OPTIONAL MATCH (o)-[:CALL_BACK]->(b:CallBack)
WITH o, customer_id, events, head(collect(b {.*})) AS call_back
OPTIONAL MATCH (o)-[:CLAIMED_BY]->(e:Employee)
RETURN o {.*} AS opportunity, customer_id, events, call_back, head(collect(e {.id, .name})) AS claimed_by
