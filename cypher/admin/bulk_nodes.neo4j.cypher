// A first load's new nodes of one $label in one transaction (Neo4jStore.create_in_bulk): each row's
// map is the node's properties (a null leaves one unset, as CREATE does), $constants go on every node.
// Answers each row's position with the node's internal id, which the load's relationships are given in.
// view: unchanged (a first load: no customer exists yet whose view could change)
UNWIND range(0, size($rows) - 1) AS at
WITH at, $rows[at] AS row
CREATE (n:$($label))
SET n = row, n += $constants
RETURN at, id(n) AS node
