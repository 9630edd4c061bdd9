// Customer source records ingested or changed after $since (an instant), for `c360 resolve --changed`:
// found through the index on changed_at, so the read is as long as the change, not the graph.
MATCH (s:SourceRecord)
WHERE s.changed_at > $since
WITH s
WHERE s.kind = 'customers'
RETURN s.id AS id
ORDER BY id
