// What an employee's due work reads (app/services/due_work.py), in one read anchored on the employee
// (DOMAIN.md §5): the customers they act for on any day of $from..$to (days, YYYY-MM-DD): those they
// manage as A, and as B those whose A is on a leave overlapping the days, with the leaves' days (B acts
// only on them). For each, lean: the card, its day and the birth date, and the outbound contacts since
// $since that are no usage record ([at, mode, outcome]: the care done, and today's unanswered calls).
// Columns: id, role, leaves ([[first_day, last_day], ...], empty for A), customer, contacts.
// (A WHERE on the first MATCH lets FalkorDB start from the status index, 25x slower; starting from
// the employee also spares a lookup by id per customer.)
MATCH (:Employee {id: $employee})<-[r:MANAGED_BY]-(c:Customer)
WITH c, r
WHERE c.status = 'active'
OPTIONAL MATCH (c)-[:MANAGED_BY {role: 'A'}]->(:Employee)<-[:LEAVE_OF]-(l:Leave)
WHERE r.role = 'B' AND l.first_day <= $to AND l.last_day >= $from
WITH c, r, collect(CASE WHEN l IS NULL THEN NULL ELSE [l.first_day, l.last_day] END) AS leaves
WHERE r.role = 'A' OR size(leaves) > 0
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:HAD_CONTACT]->(k:Contact)
  WHERE k.at >= $since AND k.direction = 'outbound' AND k.called_number IS NULL
  RETURN collect(CASE WHEN k IS NULL THEN NULL ELSE [k.at, k.mode, k.outcome] END) AS contacts
}
RETURN c.id AS id, r.role AS role, leaves, [c.vip_card, c.vip_card_since, c.birth_date] AS customer, contacts
