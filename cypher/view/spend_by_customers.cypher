// Monthly billed amount of several customers since a month (for star levels).
// Anchored customer -> accounts -> bills (the WITHs keep FalkorDB from scanning every bill).
UNWIND $ids AS id
MATCH (c:Customer {id: id})
WITH id, c
MATCH (c)-[:HAS_ACCOUNT]->(a:Account)
WITH id, a
MATCH (a)<-[:BILL_OF]-(b:Bill)
WHERE b.month >= $since
RETURN id, b.month AS month, sum(b.amount) AS amount
