// Record each card holder's care done on time over $since..$as_of (app/care_schedule.care_compliance)
// for analysts' Cypher. $rows: [{id, due, met}].
// view: unchanged (derived properties for analysts; no customer view reads them)
UNWIND $rows AS r
MATCH (c:Customer {id: r.id})
SET c.care_due = r.due, c.care_met = r.met, c.care_since = $since, c.care_as_of = $as_of
RETURN count(c) AS written
