// Purpose: The headline merge-progress metric (DOMAIN.md §3): active customers per users (subscriptions,
//          the product instances they own) by local network and customer group. The lower, the further
//          merging has gone: a public ratio above 0.85 means it has barely started (one province went
//          to 0.74). Customers owning no product are not counted.
// Parameters: $public - the segments of the public group (individual, household); every other segment
//             is the government and enterprise group (政企, small businesses included)
// Columns: local_network, customer_group (public or organisation), customers, users,
//          customers_per_user (customers / users, 4 decimals)
MATCH (c:Customer {status: 'active'})-[:OWNS]->(s:Subscription)
WITH c, count(s) AS owned
WITH c.local_network AS local_network,
     CASE WHEN c.segment IN $public THEN 'public' ELSE 'organisation' END AS customer_group,
     count(c) AS customers, sum(owned) AS users
RETURN local_network, customer_group, customers, users,
       round(10000.0 * customers / users) / 10000.0 AS customers_per_user
ORDER BY local_network, customer_group
