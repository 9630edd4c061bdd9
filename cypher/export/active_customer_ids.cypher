// The ids of every active customer, in one list: an export or a recompute reads them once and then
// pages through them by id (export/customers_by_ids). A keyset page (id > $after ORDER BY id LIMIT n)
// made FalkorDB scan and sort the whole rest of the range for every page: quadratic in customers.
MATCH (c:Customer)
WHERE c.status = 'active'
RETURN collect(c.id) AS ids
