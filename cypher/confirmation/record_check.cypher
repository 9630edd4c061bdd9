// Keep what a channel checked at the contact beside the candidate it concerned: the comparison's
// result, never the certificate number read (app/contact_confirmation.py), with the channel, the
// employee, the moment, the check required, the candidate's score and what became of it.
// view: unchanged (evidence beside a candidate; an approval or rejection it led to writes its own change)
MATCH (m:MatchCandidate {id: $candidate})
CREATE (k:ContactCheck)
SET k = $check
CREATE (k)-[:CHECK_OF]->(m)
RETURN k.id AS id
