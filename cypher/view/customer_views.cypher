// Customers by id with the parts of their view a request asked for, in one round trip.
// An absorbed (merged) id answers the surviving customer. The statement runs as written for the
// customer alone; app/services/customer_view.py adds the parts a request reads, each a subquery of
// cypher/fragments/view/ ahead of the RETURN, and their columns to it (app/store/queries.py,
// CypherQuery.with_parts): a part not asked for is not in the statement at all, since FalkorDB
// runs a switched-off subquery's operations too.
// Far ends carry no label where the relationship type says what they are (docs/graph-model.md).
UNWIND $ids AS wanted
MATCH (c:Customer {id: wanted})
OPTIONAL MATCH (c)-[:MERGED_INTO*1..20]->(s:Customer {status: 'active'})
WITH wanted, coalesce(s, c) AS live
RETURN wanted, live {.*} AS customer
