// Full-text search over golden names and their pinyin (FalkorDB / RediSearch syntax in $query,
// built from normalised letters and digits only: %term% is a fuzzy match within one edit).
CALL db.idx.fulltext.queryNodes('Customer', $query) YIELD node, score
WITH node AS c, score
WHERE c.status = 'active'
RETURN c.id AS id, score
ORDER BY score DESC, id
LIMIT $limit
