// Migration 2 (app/store/migrations.py, utc_times): the times of :SourceRecord in the stored form:
// when it was loaded and changed, and the event times of the kinds that carry one (a contact's at,
// an opportunity's captured_at and claimed_at, a customer's, account's or subscription's updated_at).
// Read: the next $batch nodes after $after (by id) holding a time not yet in it, with those times.
MATCH (n:SourceRecord)
WHERE n.id + '' > $after
  AND any(t IN [n.loaded_at, n.changed_at, n.at, n.updated_at, n.captured_at, n.claimed_at]
          WHERE t IS NOT NULL AND NOT (t ENDS WITH 'Z' AND size(t) = 24))
WITH n ORDER BY n.id LIMIT $batch
RETURN n.id AS id, '' AS other,
       {loaded_at: n.loaded_at, changed_at: n.changed_at, at: n.at, updated_at: n.updated_at,
        captured_at: n.captured_at, claimed_at: n.claimed_at} AS times;
// Write: the converted times back. $rows: [{id, times: {property: instant}}].
UNWIND $rows AS r
MATCH (n:SourceRecord {id: r.id})
SET n += r.times
RETURN count(n) AS changed
