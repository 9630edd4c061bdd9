// The steward's review queue, sorted by score, highest first, one page after a cursor.
// Filters (null = any): $status, $department, $min_score, $max_score, $source, $created_before.
MATCH (m:MatchCandidate)
WHERE m.status = $status
  AND ($department IS NULL OR m.department = $department)
  AND ($min_score IS NULL OR m.probability >= $min_score)
  AND ($max_score IS NULL OR m.probability <= $max_score)
  AND ($source IS NULL OR m.left_record STARTS WITH $source OR m.right_record STARTS WITH $source)
  AND ($created_before IS NULL OR m.created_at < $created_before)
  AND ($after_value IS NULL OR m.probability < $after_value OR (m.probability = $after_value AND m.id > $after_id))
RETURN m {.*} AS candidate
ORDER BY m.probability DESC, m.id ASC
LIMIT $limit
