// Test probe: a customer node with given golden properties and nothing around it.
CREATE (c:Customer {id: $id, status: 'active', version: 1})
SET c += $props
RETURN c.id AS id
