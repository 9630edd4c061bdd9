// Active customers holding a phone number (normalised: 11-digit mobile or area code + number).
UNWIND [$phone] AS phone
MATCH (c:Customer)
WHERE phone IN c.phones AND c.status = 'active'
RETURN c.id AS id, 1.0 AS score
ORDER BY id
LIMIT $limit
