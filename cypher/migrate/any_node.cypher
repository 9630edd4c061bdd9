// Whether the graph holds any node at all: a graph without a version node is empty (a fresh
// install, at the current version) or was written by release 0.1.0 (version 0).
MATCH (n)
WITH n LIMIT 1
RETURN count(n) AS nodes
