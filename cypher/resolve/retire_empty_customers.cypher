// A customer left with no source records after re-resolution is retired (kept, never deleted).
MATCH (c:Customer)
WHERE c.status = 'active' AND NOT (c)<-[:RECORD_OF]-(:SourceRecord)
SET c.status = 'retired', c.updated_at = $now, view_changed(c)
RETURN count(c) AS retired
