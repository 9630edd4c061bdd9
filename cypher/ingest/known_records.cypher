// Which of the given source record ids exist already, with their content hashes
// (for idempotent re-ingest and for checking references). One index lookup per id.
UNWIND $ids AS wanted
MATCH (s:SourceRecord {id: wanted})
RETURN s.id AS id, s.content_hash AS hash
