// The ids of the active customers, one row each.
MATCH (c:Customer {status: 'active'})
RETURN c.id AS id
