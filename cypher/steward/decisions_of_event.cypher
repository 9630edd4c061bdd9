// The steward decisions a merge event made, in force or not.
MATCH (d:StewardDecision {event: $event})
RETURN d {.*} AS decision
ORDER BY d.decided_at, d.id
