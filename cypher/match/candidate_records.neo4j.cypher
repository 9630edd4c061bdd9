// Customer source records that share a certificate number, a phone number, an e-mail address
// or the exact name within a local network with a probe record, and their current customer.
// Parameters: $cert_nos, $phones, $emails, $names (lists, empty when the probe lacks the field),
// $local_network, $limit. Phones through the keyword full-text index source_record_phone_numbers:
// Neo4j's range indexes do not answer membership in a list property (a scan of every record).
// $columns: app.customer.RECORD_COLUMNS, the values come back in that order.
CALL {
  UNWIND $cert_nos AS cert_no
  MATCH (s:SourceRecord {cert_no: cert_no})
  RETURN s
  UNION
  UNWIND $phones AS phone
  CALL db.index.fulltext.queryNodes('source_record_phone_numbers', phone) YIELD node AS s
  RETURN s
  UNION
  UNWIND $emails AS email
  MATCH (s:SourceRecord {email: email})
  RETURN s
  UNION
  UNWIND $names AS name
  MATCH (s:SourceRecord {name: name})
  WHERE s.local_network = $local_network
  RETURN s
}
WITH DISTINCT s
WHERE s.kind = 'customers'
WITH s
LIMIT $limit
OPTIONAL MATCH (s)-[:RECORD_OF]->(c:Customer)
RETURN [k IN $columns | s[k]] AS values, c.id AS customer_id
