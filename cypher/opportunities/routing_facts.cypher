// What routing (app/opportunity_routing.py) knows of a customer on $today: the live customer ($customer,
// or its survivor), its account managers with their role and whether they are on leave that day, and
// the core agents and phone account managers of its local network. No row for no live customer.
MATCH (asked:Customer {id: $customer})
OPTIONAL MATCH (asked)-[:MERGED_INTO*1..5]->(survivor:Customer {status: 'active'})
WITH coalesce(survivor, asked) AS c
WITH c
WHERE c.status = 'active'
OPTIONAL MATCH (c)-[r:MANAGED_BY]->(m:Employee)
OPTIONAL MATCH (m)<-[:LEAVE_OF]-(l:Leave)
WHERE l.first_day <= $today AND l.last_day >= $today
WITH c, r, m, count(l) AS leaves
WITH c, collect(CASE WHEN m IS NULL THEN null ELSE {employee: m.id, role: r.role, on_leave: leaves > 0} END) AS managers
OPTIONAL MATCH (e:Employee)
WHERE e.local_network = c.local_network AND (e.role = 'phone_account_manager' OR (e.role = 'agent' AND e.core = true))
RETURN c.id AS customer_id, managers,
       collect(CASE WHEN e.role = 'agent' THEN e.id END) AS core_agents,
       collect(CASE WHEN e.role = 'phone_account_manager' THEN e.id END) AS phone_account_managers
