// Source records written before shards were numbered 1-64 may sit in shard 0, which FalkorDB 4.16
// cannot find through its index once the graph was loaded from a snapshot. Found by a scan (the
// arithmetic keeps the index out) and moved to shard 64; a no-op on a graph without them.
// view: unchanged (a source record's shard, which no view shows)
MATCH (s:SourceRecord)
WHERE s.shard + 0 = 0
SET s.shard = 64
RETURN count(s) AS renumbered
