// Customers with contact details held back from their golden record (offered by a source that may
// not change them, app/golden/survivorship.py), by id, one page after $after.
MATCH (c:Customer {status: 'active'})
WHERE c.held_contact_changes IS NOT NULL AND ($after IS NULL OR c.id > $after)
RETURN c.id AS id, c.name AS name, c.held_contact_changes AS held
ORDER BY id
LIMIT $limit
