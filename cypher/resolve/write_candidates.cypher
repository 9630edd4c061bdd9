// Review candidates (疑似可归并) for the steward queue. A candidate a steward already decided
// keeps its decision; a pending one is refreshed with the latest score and explanation.
// $candidates: [{id, left, right, props}]
UNWIND $candidates AS c
MATCH (l:SourceRecord {id: c.left}), (r:SourceRecord {id: c.right})
MERGE (m:MatchCandidate {id: c.id})
ON CREATE SET m.status = 'pending', m.created_at = $now
WITH m, c, l, r
SET m += CASE WHEN m.status = 'pending' THEN c.props ELSE {} END
MERGE (m)-[:LEFT]->(l)
MERGE (m)-[:RIGHT]->(r)
RETURN count(m) AS candidates
