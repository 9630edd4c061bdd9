// Purpose: What resolution did per local network (本地网): customer source records against the active
//          customers they resolved to, and the reduction ratio, optionally for one segment only.
// Parameters: $segment - a customer segment (individual, household, small_business, enterprise,
//             government), or null for all segments
// Columns: local_network, records, customers, reduction ((records - customers) / records, 4 decimals)
MATCH (c:Customer {status: 'active'})<-[:RECORD_OF]-(r:SourceRecord)
WHERE $segment IS NULL OR c.segment = $segment
WITH c.local_network AS local_network, count(r) AS records, count(DISTINCT c) AS customers
RETURN local_network, records, customers, round(10000.0 * (records - customers) / records) / 10000.0 AS reduction
ORDER BY local_network
