// Review candidates (疑似可归并) for the steward queue. A pending one is refreshed with the latest
// score and explanation; an approved one stays decided; a rejected one reopens only when one of
// its two records changed since the rejection.
// $candidates: [{id, left, right, props}]
// view: unchanged (review candidates are the steward's queue, not a customer's view)
UNWIND $candidates AS c
MATCH (l:SourceRecord {id: c.left}), (r:SourceRecord {id: c.right})
MERGE (m:MatchCandidate {id: c.id})
ON CREATE SET m.status = 'pending', m.created_at = $now
WITH m, c, l, r, m.status = 'rejected' AND (l.content_hash <> m.left_hash OR r.content_hash <> m.right_hash)
     AS reopen
SET m += CASE WHEN m.status = 'pending' OR reopen THEN c.props ELSE {} END
SET m.status = CASE WHEN reopen THEN 'pending' ELSE m.status END
MERGE (m)-[:LEFT]->(l)
MERGE (m)-[:RIGHT]->(r)
RETURN count(m) AS candidates
