// Customers by id with the parts of their view a request asked for, in one round trip.
// An absorbed (merged) id answers the surviving customer. $parts switches parts on:
// 'holdings' (accounts, subscriptions with their account and offering, opportunities), 'relations'
// (account managers, organisation links, household), 'tier' (bills of $since..$until, points of
// $points_year from $points_source and active subscriptions' brands, for the star level);
// $contacts_first > 0 also returns that many newest contacts (plus one, so the caller can tell
// whether there is a next page) and the total. Parts switched off come back empty.
// Holdings, relations and tier facts come in the row shapes of holdings_by_customers,
// relations_by_customers and tier_facts_by_customers, so one piece of code reads both.
// Far ends carry no label where the relationship type says what they are (docs/graph-model.md).
UNWIND $ids AS wanted
MATCH (c:Customer {id: wanted})
OPTIONAL MATCH (c)-[:MERGED_INTO*1..20]->(s:Customer {status: 'active'})
WITH wanted, coalesce(s, c) AS live
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:HAS_ACCOUNT]->(a)
  WHERE 'holdings' IN $parts
  RETURN collect(CASE WHEN a IS NULL THEN NULL ELSE
                 {item: 'account', props: a {.*}, account: null, offering: null} END) AS accounts
}
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:OWNS]->(x)
  WHERE 'holdings' IN $parts
  OPTIONAL MATCH (x)-[:BILLED_TO]->(a)
  OPTIONAL MATCH (x)-[:ON_OFFERING]->(o)
  RETURN collect(CASE WHEN x IS NULL THEN NULL ELSE
                 {item: 'subscription', props: x {.*}, account: a.id, offering: o {.*}} END) AS subscriptions
}
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:HAS_OPPORTUNITY]->(p)
  WHERE 'holdings' IN $parts
  OPTIONAL MATCH (p)-[:CLAIMED_BY]->(e)
  RETURN collect(CASE WHEN p IS NULL THEN NULL ELSE
                 {item: 'opportunity', props: p {.*}, account: null, offering: e {.id, .name}} END) AS opportunities
}
CALL {
  WITH live
  OPTIONAL MATCH (live)-[r:MANAGED_BY]->(e)
  WHERE 'relations' IN $parts
  RETURN collect(CASE WHEN e IS NULL THEN NULL ELSE
                 {link: 'manager', role: r.role, other: e {.*}, key_person: null, title: null} END) AS managers
}
CALL {
  WITH live
  OPTIONAL MATCH (live)-[r:MEMBER_OF]->(o:Customer)
  WHERE 'relations' IN $parts
  RETURN collect(CASE WHEN o IS NULL THEN NULL ELSE
                 {link: 'member_of', role: null, other: o {.id, .name, .org_class, .segment},
                  key_person: r.key_person, title: r.title} END) AS member_of
}
CALL {
  WITH live
  OPTIONAL MATCH (live)<-[r:MEMBER_OF]-(m:Customer)
  WHERE 'relations' IN $parts
  RETURN collect(CASE WHEN m IS NULL THEN NULL ELSE
                 {link: 'member', role: null, other: m {.id, .name, .segment},
                  key_person: r.key_person, title: r.title} END) AS members
}
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:IN_HOUSEHOLD]->(h)
  WHERE 'relations' IN $parts
  RETURN collect(CASE WHEN h IS NULL THEN NULL ELSE
                 {link: 'household', role: null, other: h {.*}, key_person: null, title: null} END) AS households
}
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:HAS_ACCOUNT]->()<-[:BILL_OF]-(b)
  WHERE 'tier' IN $parts AND b.month >= $since AND b.month <= $until
  RETURN collect(CASE WHEN b IS NULL THEN NULL ELSE {month: b.month, amount: b.amount} END) AS bills
}
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:HAS_ACCOUNT]->()<-[:POINTS_OF]-(p)
  WHERE 'tier' IN $parts AND p.source = $points_source AND p.year = $points_year
  RETURN sum(coalesce(p.points, 0)) AS points
}
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:OWNS]->(x)
  WHERE 'tier' IN $parts AND x.status = 'active' AND x.brand IS NOT NULL
  RETURN collect(DISTINCT x.brand) AS brands
}
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:HAD_CONTACT]->(x)
  WHERE $contacts_first > 0
  WITH x ORDER BY x.at DESC, x.id DESC
  RETURN collect(x {.*}) AS contacts
}
RETURN wanted, live {.*} AS customer, accounts + subscriptions + opportunities AS holdings,
       managers + member_of + members + households AS relations, bills, points, brands,
       size(contacts) AS contact_total, contacts[0..($contacts_first + 1)] AS contacts
