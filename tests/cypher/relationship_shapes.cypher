// Tests: each relationship type with the labels of the nodes it joins, and how many.
MATCH (a)-[r]->(b)
RETURN type(r) AS type, labels(a) AS from_labels, labels(b) AS to_labels, count(*) AS n
