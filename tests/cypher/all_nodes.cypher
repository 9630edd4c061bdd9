// Tests: every node with its labels and properties (the migration tests compare a migrated graph
// with the graph the previous release wrote, tests/data/graph_release_*.json).
MATCH (n)
RETURN labels(n) AS labels, properties(n) AS properties
