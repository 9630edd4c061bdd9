// The customer each of the given source records belongs to now (none before resolution).
UNWIND $ids AS rid
MATCH (s:SourceRecord {id: rid})
OPTIONAL MATCH (s)-[:RECORD_OF]->(c:Customer)
RETURN s.id AS id, c.id AS customer_id
