// Create customer source records that the ingest found absent (cheaper than MERGE, which must look
// each one up first). $rows as in ingest/customers. The unique constraint on SourceRecord.id makes a
// race with another writer fail the whole statement; the ingest then repeats the batch as an upsert.
UNWIND $rows AS r
CREATE (s:SourceRecord)
SET s = r.record
SET s.loaded_at = $now, s.version = 1, s.changed_at = $now
RETURN count(s) AS written
