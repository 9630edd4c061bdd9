// Which of the given source record ids exist already, with their content hashes
// (for idempotent re-ingest and for checking references).
MATCH (s:SourceRecord)
WHERE s.id IN $ids
RETURN s.id AS id, s.content_hash AS hash
