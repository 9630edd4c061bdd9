// Customer source records that share a certificate number, a phone number, an e-mail address
// or the exact name within a local network with a probe record, and their current customer.
// Parameters: $cert_nos, $phones, $emails, $names (lists, empty when the probe lacks the field),
// $local_network, $limit. Lists rather than nullable values: an index lookup on a null
// parameter scans every source record on FalkorDB (over 100 ms at a million records).
// $columns: app.customer.RECORD_COLUMNS, the values come back in that order.
CALL {
  UNWIND $cert_nos AS cert_no
  MATCH (s:SourceRecord {cert_no: cert_no})
  RETURN s
  UNION
  UNWIND $phones AS phone
  MATCH (s:SourceRecord)
  WHERE phone IN s.phones
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
