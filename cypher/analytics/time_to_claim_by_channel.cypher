// Purpose: Time to claim (认领时长) by the channel that captured the opportunity: hours from its capture to
//          its first claim, for opportunities captured through the API in a period (their steps carry
//          times in milliseconds, captured_ms and at_ms; a file's opportunities have no steps).
// Parameters: $since - captured at or after this time (UTC, as stored)
//             $until - and before this time (UTC, as stored)
// Columns: channel, claimed (opportunities claimed at least once), average_hours, shortest_hours,
//          longest_hours (2 decimals)
MATCH (o:Opportunity)-[:HAD_EVENT]->(x:OpportunityEvent)
WHERE o.captured_at >= $since AND o.captured_at < $until AND x.kind = 'claimed' AND o.captured_ms IS NOT NULL
WITH o, min(x.at_ms) AS claimed_ms
WITH o.channel AS channel, (claimed_ms - o.captured_ms) / 3600000.0 AS hours
RETURN channel, count(*) AS claimed, round(100.0 * avg(hours)) / 100.0 AS average_hours,
       round(100.0 * min(hours)) / 100.0 AS shortest_hours, round(100.0 * max(hours)) / 100.0 AS longest_hours
ORDER BY channel
