// Purpose: Opportunity conversion (商机转化) by the channel that captured it (接触渠道): won / closed, for
//          opportunities captured in a period, from files and through the API alike.
// Parameters: $since - captured at or after this time (UTC, as stored)
//             $until - and before this time (UTC, as stored)
// Columns: channel, captured, closed (won or lost), won, lost, open, conversion (won / closed, 4 decimals;
//          null while none is closed)
MATCH (o:Opportunity)
WHERE o.captured_at >= $since AND o.captured_at < $until
WITH o.channel AS channel, count(o) AS captured,
     sum(CASE WHEN o.stage = 'won' THEN 1 ELSE 0 END) AS won,
     sum(CASE WHEN o.stage = 'lost' THEN 1 ELSE 0 END) AS lost
RETURN channel, captured, won + lost AS closed, won, lost, captured - won - lost AS open,
       CASE WHEN won + lost = 0 THEN null ELSE round(10000.0 * won / (won + lost)) / 10000.0 END AS conversion
ORDER BY channel
