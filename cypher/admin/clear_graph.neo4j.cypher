// Delete up to $batch nodes with their relationships; Store.clear() repeats it until none is left,
// so that no one transaction holds a whole graph (Neo4j refuses one past its transaction memory).
// view: unchanged (every customer goes with the graph; no view is left to keep)
MATCH (n)
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS deleted
