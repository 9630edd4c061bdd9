// Active customers whose certificate number ends with the given four characters.
MATCH (c:Customer {cert_tail: $tail})
WHERE c.status = 'active'
RETURN c.id AS id, 1.0 AS score
ORDER BY id
LIMIT $limit
