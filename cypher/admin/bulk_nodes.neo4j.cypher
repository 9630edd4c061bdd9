// A first load's new nodes of one $label in one transaction (Neo4jStore.create_in_bulk): each row's
// map is the node's properties (a null leaves one unset, as CREATE does), $constants go on every node.
// Answers one list of [row position, internal id] (one list, not a record per node: a tenth of the
// cost), the ids the load's relationships are then given in.
// view: unchanged (a first load: no customer exists yet whose view could change)
UNWIND range(0, size($rows) - 1) AS at
WITH at, $rows[at] AS row
CREATE (n:$($label))
SET n = row, n += $constants
RETURN collect([at, id(n)]) AS nodes
