// Reject a pending candidate, remembering both records' content hashes: the pair is proposed
// again only if one of them changes. No row when the candidate is not pending any more.
// view: unchanged (a rejected candidate changes the queue, not a customer's view)
MATCH (m:MatchCandidate {id: $id})-[:LEFT]->(l:SourceRecord), (m)-[:RIGHT]->(r:SourceRecord)
SET m.lock = $now
WITH m, l, r
WHERE m.status = 'pending'
SET m.status = 'rejected', m.decided_by = $decided_by, m.decided_at = $now, m.note = $note,
    m.left_hash = l.content_hash, m.right_hash = r.content_hash
REMOVE m.lock
RETURN m.id AS id
