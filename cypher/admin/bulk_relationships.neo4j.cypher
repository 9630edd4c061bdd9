// A first load's new relationships of one $type in one transaction (Neo4jStore.create_in_bulk): each
// row [from, to, properties] names its two nodes by internal id (as bulk_nodes answered them); a null
// property is left unset. Answers how many were created, so a node not found is not passed over.
// view: unchanged (a first load: its customers get their first views here)
UNWIND $rows AS row
MATCH (a) WHERE id(a) = row[0]
MATCH (b) WHERE id(b) = row[1]
CREATE (a)-[r:$($type)]->(b)
SET r = row[2]
RETURN count(r) AS created
