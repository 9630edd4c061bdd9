// Active golden customers by id, for BI export and recomputes (ids from export/active_customer_ids).
// $columns: app.customer.EXPORTED (never personal attributes) or what the star level reads; the values
// come back in that order. A customer retired since its id was read is left out.
UNWIND $ids AS id
MATCH (c:Customer {id: id})
WHERE c.status = 'active'
RETURN c.id AS id, [k IN $columns | c[k]] AS values, c.created_at AS created_at, c.updated_at AS updated_at
