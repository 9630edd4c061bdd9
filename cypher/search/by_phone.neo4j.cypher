// Active customers holding a phone number (normalised: 11-digit mobile or area code + number).
// Neo4j's range indexes do not answer membership in a list property; the keyword full-text index
// customer_phone_numbers holds each phone as one term ($phone is digits only).
CALL db.index.fulltext.queryNodes('customer_phone_numbers', $phone) YIELD node
WITH node AS c
WHERE c.status = 'active'
RETURN c.id AS id, 1.0 AS score
ORDER BY id
LIMIT $limit
