// Test probe: a customer's cases given an opening time no clock can read (a fault the loaders prevent).
// view: unchanged (a test's fault, not a change a customer's view should show)
MATCH (:Customer {id: $customer})-[:HAS_CASE]->(x)
SET x.opened_at = $value
RETURN count(x) AS spoiled
