// Whom an employee acts for on any day of $from..$to (days, YYYY-MM-DD), for their due work
// (app/services/due_work.py; DOMAIN.md §5): the customers they manage as A, and as B those whose A is on
// a leave overlapping the days, with the leaves' days (B acts only on them). For each, lean: the card,
// its day and the birth date. Columns: id, role, leaves ([[first_day, last_day], ...], empty for A),
// customer. The care done comes from service/care_contacts_of_employee, read beside this one.
// (A WHERE on the first MATCH lets FalkorDB start from the status index, 25x slower; starting from
// the employee also spares a lookup by id per customer.)
MATCH (:Employee {id: $employee})<-[r:MANAGED_BY]-(c:Customer)
WITH c, r
WHERE c.status = 'active'
OPTIONAL MATCH (c)-[:MANAGED_BY {role: 'A'}]->(:Employee)<-[:LEAVE_OF]-(l:Leave)
WHERE r.role = 'B' AND l.first_day <= $to AND l.last_day >= $from
WITH c, r, collect(CASE WHEN l IS NULL THEN NULL ELSE [l.first_day, l.last_day] END) AS leaves
WHERE r.role = 'A' OR size(leaves) > 0
RETURN c.id AS id, r.role AS role, leaves, [c.vip_card, c.vip_card_since, c.birth_date] AS customer
