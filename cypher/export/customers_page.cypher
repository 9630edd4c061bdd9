// One page of active golden customers for BI export, in id order after $after (keyset paging
// on the unique id index, so a million customers stream without SKIP costs).
MATCH (c:Customer)
WHERE c.id > $after AND c.status = 'active'
RETURN c.id AS id, c.name AS name, c.segment AS segment, c.customer_group AS customer_group,
       c.local_network AS local_network, c.org_class AS org_class, c.vip_card AS vip_card,
       c.cert_type AS cert_type, c.created_at AS created_at, c.updated_at AS updated_at
ORDER BY c.id
LIMIT $page
