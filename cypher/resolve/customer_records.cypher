// One shard of the customer source records with the fields matching needs and the
// customer each one belongs to now (null before the first resolution).
// $columns: app.customer.RECORD_COLUMNS, the values come back in that order.
// Far ends carry no label where the relationship type says what they are (docs/graph-model.md).
MATCH (s:SourceRecord {shard: $shard})
WHERE s.kind = 'customers'
OPTIONAL MATCH (s)-[:RECORD_OF]->(c)
RETURN [k IN $columns | s[k]] AS values, c.id AS customer_id
