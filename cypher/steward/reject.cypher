// Reject a pending candidate with the steward's not-the-same decision ($decisions, which every later
// resolution obeys until one of the two records changes its identifying fields), ending the
// keep-apart an unmerge left for it ($ended). No row when the candidate is not pending any more, or when
// either record's customer changed since the steward's page read it ($left_version, $right_version).
// The two customers get a new version: their version is what a concurrent merge checks, so a merge that
// read the standing decisions before this one was written fails as a conflict instead of joining the pair.
MATCH (m:MatchCandidate {id: $id})-[:LEFT]->(l:SourceRecord), (m)-[:RIGHT]->(r:SourceRecord)
OPTIONAL MATCH (l)-[:RECORD_OF]->(lc:Customer)
OPTIONAL MATCH (r)-[:RECORD_OF]->(rc:Customer)
SET m.lock = $now
WITH m, l, r, lc, rc
REMOVE m.lock
WITH m, l, r, lc, rc
WITH m, l, r, lc, rc
WHERE m.status = 'pending' AND lc.version = $left_version AND rc.version = $right_version
SET m.status = 'rejected', m.decided_by = $decided_by, m.decided_at = $now, m.note = $note,
    m.left_hash = l.content_hash, m.right_hash = r.content_hash
SET view_changed(lc)
FOREACH (c IN CASE WHEN rc = lc THEN [] ELSE [rc] END | SET view_changed(c))
FOREACH (x IN $decisions | CREATE (d:StewardDecision) SET d = x)
WITH m
CALL { WITH m
  MATCH (d:StewardDecision) WHERE d.id IN $ended AND d.status = 'standing'
  SET d.status = 'superseded', d.ended_at = $now, d.ended_by = $decided_by
  RETURN count(d) AS superseded }
RETURN m.id AS id
