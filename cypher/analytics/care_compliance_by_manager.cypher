// Purpose: VIP care done on time (大客户关怀, DOMAIN.md §6) by account manager: the care their card
//          holders fell due for and how much was done in time, as `c360 recompute` counted it over
//          [care] compliance_months.
// Parameters: $min_due - managers whose customers had at least this much care due
// Columns: manager_id, manager, local_network, card_holders, due, met, rate (met / due)
MATCH (c:Customer {status: 'active'})-[:MANAGED_BY {role: 'A'}]->(e:Employee)
WHERE c.vip_card IS NOT NULL AND c.care_due IS NOT NULL
WITH e, count(c) AS card_holders, sum(c.care_due) AS due, sum(c.care_met) AS met
WHERE due >= $min_due
RETURN e.id AS manager_id, e.name AS manager, e.local_network AS local_network, card_holders, due, met,
       CASE WHEN due = 0 THEN null ELSE round(10000.0 * met / due) / 10000.0 END AS rate
ORDER BY rate, manager_id
