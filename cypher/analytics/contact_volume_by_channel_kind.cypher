// Purpose: Contact volume per channel and kind in a time window, with how many ended with a given
//          outcome.
// Parameters: $since - a time as stored (UTC, 2026-08-01T00:00:00.000Z), window start (inclusive)
//             $until - a time as stored (UTC), window end (exclusive)
//             $outcome - the outcome to count separately (e.g. 'resolved')
// Columns: channel, kind, contacts, with_outcome
// (toString() keeps the upper bound off FalkorDB's range index on Contact.at, which ignores a
// string upper bound; the lower bound still uses the index.)
MATCH (k:Contact)
WHERE k.at >= $since AND toString(k.at) < $until
RETURN k.channel AS channel, k.kind AS kind, count(k) AS contacts,
       count(CASE WHEN k.outcome = $outcome THEN 1 END) AS with_outcome
ORDER BY channel, kind
