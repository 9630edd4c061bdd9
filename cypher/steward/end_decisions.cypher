// End steward decisions a resolution found it can no longer obey ($ended: {id, status, reason,
// returned}): an approval a hard rule now forbids is suspended, a rejection whose record changed its
// identifying fields lapses. A suspended approval's pair goes back to the review queue as pending,
// with the reason, in the same statement.
// view: unchanged (decisions and the review queue are the steward's; the resolution writes customers)
UNWIND $ended AS e
MATCH (d:StewardDecision {id: e.id})
WHERE d.status = 'standing'
SET d.status = e.status, d.ended_at = $now, d.ended_reason = e.reason
WITH d, e
CALL { WITH e
  UNWIND CASE WHEN e.returned IS NULL THEN [] ELSE [e.returned] END AS q
  MATCH (l:SourceRecord {id: q.left}), (r:SourceRecord {id: q.right})
  MERGE (m:MatchCandidate {id: q.id})
  ON CREATE SET m += q.props, m.created_at = $now
  SET m.status = 'pending', m.note = q.note, m.updated_at = $now
  MERGE (m)-[:LEFT]->(l)
  MERGE (m)-[:RIGHT]->(r)
  RETURN count(m) AS returned }
RETURN count(d) AS ended
