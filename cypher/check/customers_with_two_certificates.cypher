// Invariant (不同证件不同客户): no live customer holds two different valid certificates. Resident ids
// and credit codes are verified on the way in; an organisation code and the credit code that
// embeds it (characters 9-17) are one certificate.
MATCH (c:Customer {status: 'active'})<-[:RECORD_OF]-(s:SourceRecord)
WHERE s.cert_type IN ['resident_id', 'credit_code', 'org_code'] AND s.cert_no IS NOT NULL AND s.cert_no <> ''
WITH c, collect(DISTINCT CASE
  WHEN s.cert_type = 'credit_code' AND size(s.cert_no) = 18 THEN 'org:' + substring(s.cert_no, 8, 9)
  WHEN s.cert_type = 'org_code' THEN 'org:' + s.cert_no
  ELSE s.cert_type + ':' + s.cert_no END) AS certificates
WHERE size(certificates) > 1
RETURN c.id AS customer, certificates
ORDER BY customer
LIMIT $limit
