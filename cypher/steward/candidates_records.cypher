// The two source records of each of several match candidates (a page of the review queue, read once
// for its rows), with the customers they belong to now: the same shape as steward/candidate.
UNWIND $ids AS wanted
MATCH (m:MatchCandidate {id: wanted})-[:LEFT]->(l:SourceRecord), (m)-[:RIGHT]->(r:SourceRecord)
OPTIONAL MATCH (l)-[:RECORD_OF]->(lc:Customer)
OPTIONAL MATCH (r)-[:RECORD_OF]->(rc:Customer)
RETURN m.id AS id,
       l {.id, .source, .source_id, .fields, .name, .local_network, .segment, .loaded_at, .changed_at} AS left,
       r {.id, .source, .source_id, .fields, .name, .local_network, .segment, .loaded_at, .changed_at} AS right,
       lc {.id, .version, .status, .record_count} AS left_customer,
       rc {.id, .version, .status, .record_count} AS right_customer
