// Test probe: put source records in shard 0, as versions before shards 1-64 did.
MATCH (s:SourceRecord)
WHERE s.id IN $ids
SET s.shard = 0
RETURN count(s) AS moved
