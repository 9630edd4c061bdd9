// Reject a pending candidate with the steward's not-the-same decision ($decisions, which every later
// resolution obeys until one of the two records changes its identifying fields), ending the
// keep-apart an unmerge left for it ($ended). No row when the candidate is not pending any more.
// view: unchanged (a rejected candidate changes the queue, not a customer's view)
MATCH (m:MatchCandidate {id: $id})-[:LEFT]->(l:SourceRecord), (m)-[:RIGHT]->(r:SourceRecord)
SET m.lock = $now
WITH m, l, r
WHERE m.status = 'pending'
SET m.status = 'rejected', m.decided_by = $decided_by, m.decided_at = $now, m.note = $note,
    m.left_hash = l.content_hash, m.right_hash = r.content_hash
REMOVE m.lock
FOREACH (x IN $decisions | CREATE (d:StewardDecision) SET d = x)
WITH m
CALL { WITH m
  MATCH (d:StewardDecision) WHERE d.id IN $ended AND d.status = 'standing'
  SET d.status = 'superseded', d.ended_at = $now, d.ended_by = $decided_by
  RETURN count(d) AS superseded }
RETURN m.id AS id
