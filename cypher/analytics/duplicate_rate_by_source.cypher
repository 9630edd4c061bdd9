// Purpose: How much each source system duplicates the others: per source, its customer records on
//          active customers, how many of them sit on a customer that holds at least $min_records
//          records (i.e. was resolved together with other records), and the rate.
// Parameters: $min_records - a customer counts as shared when it holds at least this many records (e.g. 2)
// Columns: source, records, on_shared_customers, rate (on_shared_customers / records, 4 decimals)
MATCH (c:Customer {status: 'active'})<-[:RECORD_OF]-(r:SourceRecord)
WITH c, collect(r) AS records
WITH c, records, size(records) >= $min_records AS shared
UNWIND records AS r
WITH r.source AS source, count(r) AS records, count(CASE WHEN shared THEN 1 END) AS on_shared_customers
RETURN source, records, on_shared_customers, round(10000.0 * on_shared_customers / records) / 10000.0 AS rate
ORDER BY source
