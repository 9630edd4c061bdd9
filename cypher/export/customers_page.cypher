// One page of active golden customers for BI export, in id order after $after (keyset paging
// on the unique id index, so a million customers stream without SKIP costs).
// $columns: app.customer.EXPORTED (never personal attributes); the values come back in that order.
MATCH (c:Customer)
WHERE c.id > $after AND c.status = 'active'
RETURN c.id AS id, [k IN $columns | c[k]] AS values, c.created_at AS created_at, c.updated_at AS updated_at
ORDER BY c.id
LIMIT $page
