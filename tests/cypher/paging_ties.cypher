// Test fixture: every list the API pages, with many ties in its sort key (equal scores, times and
// names): review candidates, steward decisions, customers with held contact changes or one name,
// and one customer's contact timeline (tests/integration/test_paging_to_the_end.py).
FOREACH (m IN $candidates | CREATE (x:MatchCandidate) SET x += m)
FOREACH (d IN $decisions | CREATE (x:StewardDecision) SET x += d)
FOREACH (c IN $customers | CREATE (x:Customer) SET x += c)
WITH 1 AS one
MATCH (c:Customer {id: $timeline})
FOREACH (k IN $contacts | CREATE (c)-[:HAD_CONTACT]->(x:Contact) SET x += k)
RETURN count(*) AS written
