// The ids of the active customers holding a VIP card, in one list: the care recompute pages through
// them by id (a keyset page made FalkorDB scan the rest of the customers for every page).
MATCH (c:Customer {status: 'active'})
WHERE c.vip_card IS NOT NULL
RETURN collect(c.id) AS ids
