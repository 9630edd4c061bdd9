// Invariant: no customer holds public records (individual, household: $public) of two local networks.
MATCH (c:Customer {status: 'active'})<-[:RECORD_OF]-(s:SourceRecord)
WHERE s.segment IN $public AND s.local_network IS NOT NULL AND s.local_network <> ''
WITH c, collect(DISTINCT s.local_network) AS networks
WHERE size(networks) > 1
RETURN c.id AS customer, networks
ORDER BY customer
LIMIT $limit
