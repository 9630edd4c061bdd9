// Record customers' star levels as of $as_of for analysts' Cypher (c.star_level and its reason) and
// keep the history: a level that differs from the one recorded gets a TierChange with its reason.
// $rows: [{id, star, reason, average}]; $at: now, as stored; $as_of: the operator's day (YYYY-MM-DD).
// The change is created in a FOREACH, not after a WITH ... WHERE: FalkorDB moves such a filter below
// the SET, which then reaches only the changed customers (docs/graph-model.md).
UNWIND $rows AS r
MATCH (c:Customer {id: r.id})
WITH c, r, c.star_level AS before
SET c.star_level = r.star, c.star_as_of = $as_of, c.star_reason = r.reason, c.average_monthly_spend = r.average
WITH c, r, before, CASE WHEN before IS NULL OR before <> r.star THEN [before] ELSE [] END AS changed
FOREACH (from_star IN changed |
  CREATE (t:TierChange {id: c.id + '@' + $at, customer: c.id, from_star: from_star, to_star: r.star,
                        reason: r.reason, as_of: $as_of, at: $at})
  CREATE (t)-[:TIER_OF]->(c)
  SET view_changed(c)
)
RETURN sum(size(changed)) AS changed
