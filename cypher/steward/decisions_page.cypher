// Steward decisions by status, newest first, one page after a cursor ($after_at, $after_id).
MATCH (d:StewardDecision)
WHERE ($status IS NULL OR d.status = $status)
  AND ($record IS NULL OR d.left = $record OR d.right = $record)
  AND ($after_at IS NULL OR d.decided_at < $after_at OR (d.decided_at = $after_at AND d.id > $after_id))
RETURN d {.*} AS decision
ORDER BY d.decided_at DESC, d.id ASC
LIMIT $limit
