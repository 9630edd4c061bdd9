// Purpose: The active customers with the highest average monthly bill since a month (star-level and
//          retention lists).
// Parameters: $from_month - first month counted, 'YYYY-MM'
//             $limit - how many customers to return
// Columns: customer_id, name, segment, months (months with a bill), total, average (total / months; both 2 decimals)
MATCH (c:Customer {status: 'active'})<-[:RECORD_OF]-(r:SourceRecord)
MATCH (:Account {owner_record: r.id})<-[:BILL_OF]-(b:Bill)
WHERE b.month >= $from_month
WITH c, count(DISTINCT b.month) AS months, sum(b.amount) AS total
WITH c, months, total, round(total * 100 / months) / 100.0 AS average
RETURN c.id AS customer_id, c.name AS name, c.segment AS segment, months, round(total * 100) / 100.0 AS total, average
ORDER BY average DESC, customer_id
LIMIT $limit
