// Test probe: the labels and properties of the graph node with an id (a holding, a customer), not
// the source record of the same id that describes it.
MATCH (n)
WHERE n.id = $id AND NOT n:SourceRecord
RETURN labels(n) AS labels, properties(n) AS node
