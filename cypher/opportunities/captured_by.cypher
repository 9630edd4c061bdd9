// The opportunities a channel captured through the API (kept under its source $source), newest first.
MATCH (s:SourceRecord {source: $source})-[:DESCRIBES]->(o:Opportunity)
WHERE s.kind = 'opportunities'
RETURN o.id AS id, o.captured_at AS captured_at
ORDER BY captured_at DESC, id
