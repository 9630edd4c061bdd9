// Review queue sizes by status and department, with the same filters as the queue.
MATCH (m:MatchCandidate)
WHERE ($department IS NULL OR m.department = $department)
  AND ($min_score IS NULL OR m.probability >= $min_score)
  AND ($max_score IS NULL OR m.probability <= $max_score)
  AND ($source IS NULL OR m.left_record STARTS WITH $source OR m.right_record STARTS WITH $source)
  AND ($created_before IS NULL OR m.created_at < $created_before)
RETURN m.status AS status, m.department AS department, count(m) AS candidates
ORDER BY status, department
