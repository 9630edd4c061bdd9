// Record customers' star levels as of $as_of for analysts' Cypher (c.star_level and its reason) and
// keep the history: a level that differs from the one recorded gets a TierChange with its reason.
// $rows: [{id, star, reason, average}]; $at: now, as stored; $as_of: the operator's day (YYYY-MM-DD).
UNWIND $rows AS r
MATCH (c:Customer {id: r.id})
WITH c, r, c.star_level AS before
SET c.star_level = r.star, c.star_as_of = $as_of, c.star_reason = r.reason, c.average_monthly_spend = r.average
WITH c, r, before
WHERE before IS NULL OR before <> r.star
CREATE (t:TierChange {id: c.id + '@' + $at, customer: c.id, from_star: before, to_star: r.star,
                      reason: r.reason, as_of: $as_of, at: $at})
CREATE (t)-[:TIER_OF]->(c)
SET view_changed(c)
RETURN count(t) AS changed
