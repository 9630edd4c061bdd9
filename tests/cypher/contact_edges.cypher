// Test probe: a contact's relationships by type and the node at their other end.
MATCH (x:Contact {id: $id})-[r]-(t)
RETURN type(r) AS relationship, t.id AS target
ORDER BY relationship, target
