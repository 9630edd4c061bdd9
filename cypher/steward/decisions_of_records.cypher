// The steward decisions in force that name any of $ids: what incremental resolution and a steward's
// action on these records must obey.
MATCH (d:StewardDecision)
WHERE d.status = 'standing' AND (d.left IN $ids OR d.right IN $ids)
RETURN d {.*} AS decision
ORDER BY d.decided_at, d.id
