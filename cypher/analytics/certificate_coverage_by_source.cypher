// Purpose: Data quality per source: the share of customer records (on active customers) that carry no
//          certificate number, optionally for one segment only.
// Parameters: $segment - a customer segment of the record, or null for all
// Columns: source, records, without_certificate, share (without_certificate / records, 4 decimals)
MATCH (c:Customer {status: 'active'})<-[:RECORD_OF]-(r:SourceRecord)
WHERE $segment IS NULL OR r.segment = $segment
WITH r.source AS source, count(r) AS records,
     count(CASE WHEN r.cert_no IS NULL OR r.cert_no = '' THEN 1 END) AS without_certificate
RETURN source, records, without_certificate, round(10000.0 * without_certificate / records) / 10000.0 AS share
ORDER BY source
