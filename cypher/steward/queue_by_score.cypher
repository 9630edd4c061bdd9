// The steward's review queue, sorted by score, highest first, ties by id, one page strictly after
// the cursor's ($after_value, $after_id). The sort key is the score in millionths, an integer:
// FalkorDB returns floats rounded to 15 digits, so a cursor holding the score itself did not
// compare equal to the stored one and the next page began again before the ties (schema/pagination.py).
// Filters (null = any): $status, $department, $min_score, $max_score, $source, $created_before.
MATCH (m:MatchCandidate)
WHERE m.status = $status
  AND ($department IS NULL OR m.department = $department)
  AND ($min_score IS NULL OR m.probability >= $min_score)
  AND ($max_score IS NULL OR m.probability <= $max_score)
  AND ($source IS NULL OR m.left_record STARTS WITH $source OR m.right_record STARTS WITH $source)
  AND ($created_before IS NULL OR m.created_at < $created_before)
WITH m, toInteger(round(coalesce(m.probability, 0.0) * 1000000)) AS score
WHERE $after_value IS NULL OR score < $after_value OR (score = $after_value AND m.id > $after_id)
RETURN m {.*, sort_key: score} AS candidate
ORDER BY score DESC, m.id ASC
LIMIT $limit
