// Tests: every relationship with its type, both ends' labels and ids, and its properties.
MATCH (a)-[r]->(b)
RETURN type(r) AS type, labels(a) AS from_labels, a.id AS from_id, labels(b) AS to_labels, b.id AS to_id,
       properties(r) AS properties
