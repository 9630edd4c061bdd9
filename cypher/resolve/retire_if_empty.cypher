// Retire the given customers if a record moving away left them with none (kept, never deleted).
UNWIND $ids AS cid
MATCH (c:Customer {id: cid})
WHERE c.status = 'active' AND NOT (c)<-[:RECORD_OF]-(:SourceRecord)
SET c.status = 'retired', c.updated_at = $now, view_changed(c)
RETURN count(c) AS retired
