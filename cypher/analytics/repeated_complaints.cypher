// Purpose: Active customers with repeated contacts of one kind (complaints) since a given time, and
//          the channels they used: candidates for a retention call.
// Parameters: $kind - contact kind to count (e.g. 'complaint')
//             $since - a time as stored (UTC, 2026-05-31T16:00:00.000Z), contacts at or after it count
//             $min_contacts - least number of such contacts (e.g. 2)
// Columns: customer_id, name, contacts, channels (sorted list of distinct channels), last_at
MATCH (c:Customer {status: 'active'})<-[:RECORD_OF]-(r:SourceRecord)
OPTIONAL MATCH (own:Contact {owner_record: r.id})
WITH c, r, collect(own) AS owned
OPTIONAL MATCH (:Subscription {owner_record: r.id})<-[:ABOUT]-(byno:Contact)
WITH c, owned, collect(byno) AS numbered
WITH c, owned + [k IN numbered WHERE k.owner_record IS NULL] AS found
UNWIND found AS k
WITH DISTINCT c, k
WHERE k.kind = $kind AND k.at >= $since
WITH c, k
ORDER BY k.channel
WITH c, collect(DISTINCT k.channel) AS channels, count(k) AS contacts, max(k.at) AS last_at
WHERE contacts >= $min_contacts
RETURN c.id AS customer_id, c.name AS name, contacts, channels, last_at
ORDER BY contacts DESC, customer_id
