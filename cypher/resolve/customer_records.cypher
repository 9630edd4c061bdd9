// One shard of the customer source records with the fields matching needs and the
// customer each one belongs to now (null before the first resolution).
MATCH (s:SourceRecord {shard: $shard})
WHERE s.kind = 'customers'
OPTIONAL MATCH (s)-[:RECORD_OF]->(c:Customer)
RETURN s.id AS id, s.source AS source, s.name AS name, s.cert_type AS cert_type, s.cert_no AS cert_no,
       s.phones AS phones, s.email AS email, s.address AS address, s.birth_date AS birth_date,
       s.gender AS gender, s.local_network AS local_network, s.segment AS segment, s.org_class AS org_class,
       s.vip_card AS vip_card, s.manager_record AS manager_record, s.updated_at AS updated_at,
       s.changed_at AS changed_at, c.id AS customer_id
