// Full-text search over golden names and their pinyin (Lucene syntax in $query, built from
// normalised letters and digits only: term~1 is a fuzzy match within one edit).
CALL db.index.fulltext.queryNodes('customer_name', $query) YIELD node, score
WITH node AS c, score
WHERE c.status = 'active'
RETURN c.id AS id, score
ORDER BY score DESC, id
LIMIT $limit
