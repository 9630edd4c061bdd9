// Purpose: Billed revenue per local network and month, with the number of paying active customers.
// Parameters: $from_month - first month, 'YYYY-MM'
//             $to_month - last month (inclusive), 'YYYY-MM'
// Columns: local_network, month, customers, amount (yuan, 2 decimals)
MATCH (c:Customer {status: 'active'})<-[:RECORD_OF]-(r:SourceRecord)
MATCH (:Account {owner_record: r.id})<-[:BILL_OF]-(b:Bill)
WHERE b.month >= $from_month AND b.month <= $to_month
WITH c.local_network AS local_network, b.month AS month, count(DISTINCT c) AS customers, sum(b.amount) AS total
RETURN local_network, month, customers, round(total * 100) / 100.0 AS amount
ORDER BY local_network, month
