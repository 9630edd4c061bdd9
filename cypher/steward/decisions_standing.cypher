// Every steward decision in force, oldest first: what a batch resolution obeys and what a new
// decision may not contradict.
MATCH (d:StewardDecision)
WHERE d.status = 'standing'
RETURN d {.*} AS decision
ORDER BY d.decided_at, d.id
