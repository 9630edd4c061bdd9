// The live customer and its version for each id asked for: what a cached view is checked against.
// An absorbed (merged) id answers the surviving customer, as customers_by_ids does.
UNWIND $ids AS wanted
MATCH (c:Customer {id: wanted})
OPTIONAL MATCH (c)-[:MERGED_INTO*1..20]->(s:Customer {status: 'active'})
WITH wanted, coalesce(s, c) AS live
RETURN wanted, live.id AS id, live.version AS version
