// The steward's review queue, sorted by age, oldest first, ties by id, one page strictly after the
// cursor's ($after_value, $after_id).
// Filters (null = any): $status, $department, $min_score, $max_score, $source, $created_before.
MATCH (m:MatchCandidate)
WHERE m.status = $status
  AND ($department IS NULL OR m.department = $department)
  AND ($min_score IS NULL OR m.probability >= $min_score)
  AND ($max_score IS NULL OR m.probability <= $max_score)
  AND ($source IS NULL OR m.left_record STARTS WITH $source OR m.right_record STARTS WITH $source)
  AND ($created_before IS NULL OR m.created_at < $created_before)
WITH m, coalesce(m.created_at, '') AS at
WHERE $after_value IS NULL OR at > $after_value OR (at = $after_value AND m.id > $after_id)
RETURN m {.*, sort_key: at} AS candidate
ORDER BY at ASC, m.id ASC
LIMIT $limit
