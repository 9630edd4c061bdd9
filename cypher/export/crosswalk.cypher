// One shard of the crosswalk: every customer source record with the customer it belongs to.
MATCH (s:SourceRecord {shard: $shard})
WHERE s.kind = 'customers'
OPTIONAL MATCH (s)-[:RECORD_OF]->(c:Customer)
RETURN s.source AS source, s.source_id AS source_id, c.id AS customer_id
ORDER BY source, source_id
