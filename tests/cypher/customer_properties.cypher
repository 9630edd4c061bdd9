// Every customer's own properties, by id.
MATCH (c:Customer)
RETURN c.id AS id, properties(c) AS props
