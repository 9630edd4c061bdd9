// Purpose: Active customers who reached us on many channels since a given time (cross-channel
//          journeys): contacts recorded against any of their source records, plus contacts
//          recorded only by a service number of one of their subscriptions.
// Parameters: $since - a time as stored (UTC, 2026-07-31T16:00:00.000Z), contacts at or after it count
//             $min_channels - least number of distinct channels (e.g. 2)
// Columns: customer_id, name, channels (sorted list), contacts
MATCH (c:Customer {status: 'active'})<-[:RECORD_OF]-(r:SourceRecord)
OPTIONAL MATCH (own:Contact {owner_record: r.id})
WITH c, r, collect(own) AS owned
OPTIONAL MATCH (:Subscription {owner_record: r.id})<-[:ABOUT]-(byno:Contact)
WITH c, owned, collect(byno) AS numbered
WITH c, owned + [k IN numbered WHERE k.owner_record IS NULL] AS found
UNWIND found AS k
WITH DISTINCT c, k
WHERE k.at >= $since
WITH c, k
ORDER BY k.channel
WITH c, collect(DISTINCT k.channel) AS channels, count(k) AS contacts
WHERE size(channels) >= $min_channels
RETURN c.id AS customer_id, c.name AS name, channels, contacts
ORDER BY contacts DESC, customer_id
