// Test probe: how many source records of one kind.
MATCH (s:SourceRecord {kind: $kind})
RETURN count(s) AS n
