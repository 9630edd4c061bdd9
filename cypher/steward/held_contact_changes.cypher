// Customers with contact details held back from their golden record (offered by a source that may
// not change them, app/golden/survivorship.py), by id, from $from on: the page's first customer may
// be the one whose changes the previous page ended in the middle of.
MATCH (c:Customer {status: 'active'})
WHERE c.held_contact_changes IS NOT NULL AND ($from IS NULL OR c.id >= $from)
RETURN c.id AS id, c.name AS name, c.held_contact_changes AS held
ORDER BY id
LIMIT $limit
