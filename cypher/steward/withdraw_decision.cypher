// A steward withdraws a decision in force (a split or a rejection made in error); the next
// resolution no longer obeys it. No row when it is not in force.
// view: unchanged (the next resolution moves records, if any; the decision itself is the steward's)
MATCH (d:StewardDecision {id: $id})
WHERE d.status = 'standing'
SET d.status = 'undone', d.ended_at = $now, d.ended_by = $decided_by, d.ended_reason = $reason
RETURN d {.*} AS decision
