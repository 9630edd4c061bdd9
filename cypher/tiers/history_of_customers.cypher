// The star level changes of several customers, newest first, at most $first each.
UNWIND $ids AS id
MATCH (c:Customer {id: id})<-[:TIER_OF]-(t:TierChange)
WITH id, t ORDER BY t.at DESC, t.id DESC
WITH id, collect(t {.*})[0..$first] AS changes
RETURN id, changes
