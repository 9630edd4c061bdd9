// Steward decisions by status, newest first, ties by id, one page strictly after the cursor's
// ($after_at, $after_id).
MATCH (d:StewardDecision)
WHERE ($status IS NULL OR d.status = $status)
  AND ($record IS NULL OR d.left = $record OR d.right = $record)
WITH d, coalesce(d.decided_at, '') AS at
WHERE $after_at IS NULL OR at < $after_at OR (at = $after_at AND d.id > $after_id)
RETURN d {.*} AS decision
ORDER BY at DESC, d.id ASC
LIMIT $limit
