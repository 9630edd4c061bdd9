// What the no-repeated-disturbance rules (app/contact_permission.py) read of one customer, resolved
// (a merged id answers for its survivor): its marketing contacts since $since (a merge moved the
// absorbed customer's contacts here), and the plans and consents of the survivor and of every customer
// merged into it, so a merge joins the histories and an unmerge gives each its own back; and the
// version of its plans, which a plan written on these facts must find unchanged (contacts/plan_contact).
MATCH (asked:Customer {id: $customer})
OPTIONAL MATCH (asked)-[:MERGED_INTO*1..5]->(survivor:Customer {status: 'active'})
WITH coalesce(survivor, asked) AS c
WHERE c.status = 'active'
OPTIONAL MATCH (gone:Customer)-[:MERGED_INTO*1..5]->(c)
WITH c, [c] + collect(DISTINCT gone) AS held
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:HAD_CONTACT]->(k:Contact)
  WHERE k.purpose = 'marketing' AND k.at >= $since
  RETURN collect(k {.id, .at, .channel, .purpose, .direction}) AS contacts
}
CALL {
  WITH held
  UNWIND held AS h
  OPTIONAL MATCH (h)-[:PLANNED]->(p:ContactPlan)
  WHERE p.status = 'planned'
  RETURN collect(p {.*}) AS plans
}
CALL {
  WITH held
  UNWIND held AS h
  OPTIONAL MATCH (h)-[:GAVE_CONSENT]->(x:Consent)
  RETURN collect(x {.*}) AS consents
}
RETURN c.id AS customer_id, coalesce(c.plans_version, 0) AS plans_version, contacts, plans, consents
