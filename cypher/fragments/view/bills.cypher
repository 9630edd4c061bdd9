// The customer's bills of $bills_since..$bills_until over its accounts (the tier's spend, the service
// standing's trend and drop): one window covering both, each reader keeps its months.
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:HAS_ACCOUNT]->()<-[:BILL_OF]-(b)
  WHERE b.month >= $bills_since AND b.month <= $bills_until
  RETURN collect(CASE WHEN b IS NULL THEN NULL ELSE {month: b.month, amount: b.amount} END) AS bills
}
