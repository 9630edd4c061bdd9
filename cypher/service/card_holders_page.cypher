// One page of active customers holding a VIP card, in id order after $after.
MATCH (c:Customer {status: 'active'})
WHERE c.id > $after AND c.vip_card IS NOT NULL
RETURN c.id AS id
ORDER BY id
LIMIT $page
