// Migration 2 (app/store/migrations.py, utc_times): the times of :Customer in the stored form.
// Read: the next $batch nodes after $after (by id) holding a time not yet in it, with those times.
MATCH (n:Customer)
WHERE n.id + '' > $after
  AND any(t IN [n.created_at, n.updated_at]
          WHERE t IS NOT NULL AND NOT (t ENDS WITH 'Z' AND size(t) = 24))
WITH n ORDER BY n.id LIMIT $batch
RETURN n.id AS id, '' AS other, {created_at: n.created_at, updated_at: n.updated_at} AS times;
// Write: the converted times back. $rows: [{id, times: {property: instant}}].
UNWIND $rows AS r
MATCH (n:Customer {id: r.id})
SET n += r.times
RETURN count(n) AS changed
