// One match candidate with both source records side by side (what the hard rules read of them: local
// network, segment; and when each was loaded and last changed) and the customers they belong to now.
MATCH (m:MatchCandidate {id: $id})-[:LEFT]->(l:SourceRecord), (m)-[:RIGHT]->(r:SourceRecord)
OPTIONAL MATCH (l)-[:RECORD_OF]->(lc:Customer)
OPTIONAL MATCH (r)-[:RECORD_OF]->(rc:Customer)
RETURN m {.*} AS candidate, l {.id, .source, .source_id, .fields, .content_hash, .name, .local_network, .segment,
            .loaded_at, .changed_at} AS left,
       r {.id, .source, .source_id, .fields, .content_hash, .name, .local_network, .segment,
            .loaded_at, .changed_at} AS right,
       lc {.id, .version, .status, .record_count} AS left_customer,
       rc {.id, .version, .status, .record_count} AS right_customer
