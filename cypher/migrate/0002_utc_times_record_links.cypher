// Migration 2 (app/store/migrations.py, utc_times): when each source record was linked to its
// customer (RECORD_OF.at) in the stored form.
// Read: the next $batch links after ($after, $after_other) (record id, customer id) whose time is not yet in it.
MATCH (s:SourceRecord)-[l:RECORD_OF]->(c:Customer)
WHERE (s.id + '' > $after OR (s.id = $after AND c.id > $after_other))
  AND l.at IS NOT NULL AND NOT (l.at ENDS WITH 'Z' AND size(l.at) = 24)
WITH s, l, c ORDER BY s.id, c.id LIMIT $batch
RETURN s.id AS id, c.id AS other, {at: l.at} AS times;
// Write: the converted times back. $rows: [{id, other, times: {at: instant}}].
UNWIND $rows AS r
MATCH (s:SourceRecord {id: r.id})-[l:RECORD_OF]->(c:Customer {id: r.other})
SET l += r.times
RETURN count(l) AS changed
