// Customers by id; an absorbed (merged) id answers the surviving customer.
UNWIND $ids AS wanted
MATCH (c:Customer {id: wanted})
OPTIONAL MATCH (c)-[:MERGED_INTO*1..20]->(s:Customer {status: 'active'})
WITH wanted, coalesce(s, c) AS live
RETURN wanted, live {.*} AS customer
