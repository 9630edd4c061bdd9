// Test probe: every property of one source record.
MATCH (s:SourceRecord {id: $id})
RETURN properties(s) AS props
