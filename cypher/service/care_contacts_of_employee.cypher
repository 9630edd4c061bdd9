// The care done for the active customers an employee manages (as A or B; the caller keeps those it acts
// for): their outbound contacts since $since that are no usage record, one row per customer that has
// any: id, contacts [[at, mode, outcome], ...]. Read beside service/care_of_employee rather than as a
// subquery of it: FalkorDB runs a CALL {} per row at about twice the cost of this flat match. No label
// on the far ends, as in care_of_employee: on 2,400 contacts `(k:Contact)` cost 5.8 ms, `(k)` 0.45 ms.
MATCH (:Employee {id: $employee})<-[:MANAGED_BY]-(c)
WITH DISTINCT c
WHERE c.status = 'active'
MATCH (c)-[:HAD_CONTACT]->(k)
WHERE k.at >= $since AND k.direction = 'outbound' AND k.called_number IS NULL
RETURN c.id AS id, collect([k.at, k.mode, k.outcome]) AS contacts
