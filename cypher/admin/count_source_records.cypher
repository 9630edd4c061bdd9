// How many source records the graph holds: `c360 run` loads demo data only into an empty graph.
MATCH (r:SourceRecord)
RETURN count(r) AS n
