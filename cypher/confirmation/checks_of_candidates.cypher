// The checks channels made at the contact on each of several candidates, oldest first: the evidence a
// steward reads beside the candidate's decision.
UNWIND $ids AS wanted
MATCH (:MatchCandidate {id: wanted})<-[:CHECK_OF]-(k:ContactCheck)
RETURN wanted AS candidate, k {.*} AS check
ORDER BY candidate, check.at, check.id
