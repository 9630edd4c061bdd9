// Invariant: every steward decision in force holds: a same-customer pair is on one live customer,
// a not-the-same pair on two. $ids: only these decisions (null: all).
MATCH (d:StewardDecision {status: 'standing'})
WHERE $ids IS NULL OR d.id IN $ids
MATCH (l:SourceRecord {id: d.left})-[:RECORD_OF]->(lc:Customer)
MATCH (r:SourceRecord {id: d.right})-[:RECORD_OF]->(rc:Customer)
WITH d, lc, rc
WHERE (d.kind = 'must' AND lc.id <> rc.id) OR (d.kind = 'cannot' AND lc.id = rc.id)
RETURN d.id AS decision, d.kind AS kind, d.left AS left, d.right AS right, lc.id AS left_customer,
       rc.id AS right_customer
ORDER BY decision
LIMIT $limit
