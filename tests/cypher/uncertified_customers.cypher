// The active customers without a certificate, by id.
MATCH (c:Customer {status: 'active'})
WHERE c.cert_no IS NULL
RETURN c.id AS id
ORDER BY id
