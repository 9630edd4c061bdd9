// Node count per label, for `c360 store stats` and the demo loader's "already loaded?" check.
MATCH (n)
RETURN labels(n)[0] AS label, count(n) AS nodes
ORDER BY label
