// Purpose: Customers by local network and star level (客户星级), as `c360 recompute` recorded the levels
//          (app/tiers.py; star_as_of says the day).
// Parameters: $min_star - levels from this one up (1 for all)
// Columns: local_network, star_level, customers, share (of the network's customers with a level)
MATCH (c:Customer {status: 'active'})
WHERE c.star_level IS NOT NULL
WITH c.local_network AS local_network, count(c) AS total, collect(c.star_level) AS levels
UNWIND levels AS star_level
WITH local_network, total, star_level, count(*) AS customers
WHERE star_level >= $min_star
RETURN local_network, star_level, customers, round(10000.0 * customers / total) / 10000.0 AS share
ORDER BY local_network, star_level
