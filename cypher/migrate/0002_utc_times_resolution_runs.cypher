// Migration 2 (app/store/migrations.py, utc_times): the times of :ResolutionRun in the stored form.
// Read: the next $batch nodes after $after (by id) holding a time not yet in it, with those times.
MATCH (n:ResolutionRun)
WHERE n.id + '' > $after AND n.at IS NOT NULL AND NOT (n.at ENDS WITH 'Z' AND size(n.at) = 24)
WITH n ORDER BY n.id LIMIT $batch
RETURN n.id AS id, '' AS other, {at: n.at} AS times;
// Write: the converted times back. $rows: [{id, times: {property: instant}}].
UNWIND $rows AS r
MATCH (n:ResolutionRun {id: r.id})
SET n += r.times
RETURN count(n) AS changed
