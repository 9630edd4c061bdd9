// Active customers holding a certificate number (canonical form).
MATCH (c:Customer {cert_no: $cert_no})
WHERE c.status = 'active'
RETURN c.id AS id
ORDER BY id
