// Whom an employee acts for on any day of $from..$to (days, YYYY-MM-DD), for their due work
// (app/services/due_work.py; DOMAIN.md §5): the customers they manage as A, and as B those whose A is on
// a leave overlapping the days, with the leaves' days (B acts only on them). For each, lean: the card,
// its day and the birth date. Columns: id, role, leaves ([[first_day, last_day], ...], empty for A),
// customer. The care done comes from service/care_contacts_of_employee, read beside this one.
// Starting from the employee spares a lookup by id per customer. The far ends carry no label: each
// relationship type joins one pair of labels (docs/graph-model.md, held by tests/integration/
// test_graph_model.py), and FalkorDB checks a label on a traversal's far end at several times the
// traversal's own cost (and, given `c:Customer`, starts from the status index instead, 25x slower).
// The primaries apart from the backups: most rows have no leaves to gather.
MATCH (:Employee {id: $employee})<-[:MANAGED_BY {role: 'A'}]-(c)
WHERE c.status = 'active'
RETURN c.id AS id, 'A' AS role, [] AS leaves, [c.vip_card, c.vip_card_since, c.birth_date] AS customer
UNION ALL
MATCH (:Employee {id: $employee})<-[:MANAGED_BY {role: 'B'}]-(c)-[:MANAGED_BY {role: 'A'}]->()<-[:LEAVE_OF]-(l)
WHERE c.status = 'active' AND l.first_day <= $to AND l.last_day >= $from
WITH c, collect([l.first_day, l.last_day]) AS leaves
RETURN c.id AS id, 'B' AS role, leaves, [c.vip_card, c.vip_card_since, c.birth_date] AS customer
