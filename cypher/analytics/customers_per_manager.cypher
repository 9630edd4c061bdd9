// Purpose: VIP customers per account manager against the norm of one manager per about 400 VIP
//          customers (DOMAIN.md §5): each manager's customers as their primary (A) manager.
// Parameters: $norm - VIP customers one manager serves (400)
// Columns: manager_id, manager, local_network, customers, vip_customers, load (vip_customers / norm)
MATCH (c:Customer {status: 'active'})-[:MANAGED_BY {role: 'A'}]->(e:Employee)
WITH e, count(c) AS customers, sum(CASE WHEN c.vip_card IS NULL THEN 0 ELSE 1 END) AS vip_customers
RETURN e.id AS manager_id, e.name AS manager, e.local_network AS local_network, customers, vip_customers,
       round(10000.0 * vip_customers / $norm) / 10000.0 AS load
ORDER BY load DESC, manager_id
