// Accounts, subscriptions (with their offering) and opportunities (with the employee who claimed
// each, in `account`) of several customers, one row per item.
UNWIND $ids AS id
MATCH (c:Customer {id: id})
CALL {
  WITH c
  MATCH (c)-[:HAS_ACCOUNT]->(a:Account)
  RETURN 'account' AS item, a {.*} AS props, null AS account, null AS offering
  UNION
  WITH c
  MATCH (c)-[:OWNS]->(s:Subscription)
  OPTIONAL MATCH (s)-[:BILLED_TO]->(a:Account)
  OPTIONAL MATCH (s)-[:ON_OFFERING]->(o:Offering)
  RETURN 'subscription' AS item, s {.*} AS props, a.id AS account, o {.*} AS offering
  UNION
  WITH c
  MATCH (c)-[:HAS_OPPORTUNITY]->(p:Opportunity)
  OPTIONAL MATCH (p)-[:CLAIMED_BY]->(e:Employee)
  RETURN 'opportunity' AS item, p {.*} AS props, null AS account, e {.id, .name} AS offering
}
RETURN id, item, props, account, offering
