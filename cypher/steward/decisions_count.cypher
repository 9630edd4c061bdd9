// How many steward decisions the decisions page's filters select.
MATCH (d:StewardDecision)
WHERE ($status IS NULL OR d.status = $status)
  AND ($record IS NULL OR d.left = $record OR d.right = $record)
RETURN count(d) AS decisions
