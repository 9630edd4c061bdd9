// Purpose: VIP care (大客户关怀): active customers holding a VIP card whose latest care visit is older
//          than the card's care interval allows, or who were never visited.
// Parameters: $kind - the contact kind of a care visit (e.g. 'care_visit')
//             $diamond_since - cut-off for diamond cards, a time as stored (UTC, 2026-08-31T16:00:00.000Z):
//                              a later visit is in time
//             $gold_since - cut-off for gold cards (UTC, as stored)
//             $silver_since - cut-off for silver cards (UTC, as stored)
// Columns: customer_id, name, vip_card, local_network, last_visit (null when never visited)
MATCH (c:Customer {status: 'active'})
WHERE c.vip_card IN ['diamond', 'gold', 'silver']
MATCH (c)<-[:RECORD_OF]-(r:SourceRecord)
OPTIONAL MATCH (k:Contact {owner_record: r.id})
WHERE k.kind = $kind
WITH c, max(k.at) AS last_visit,
     CASE c.vip_card WHEN 'diamond' THEN $diamond_since WHEN 'gold' THEN $gold_since ELSE $silver_since END AS cutoff
WHERE last_visit IS NULL OR last_visit < cutoff
RETURN c.id AS customer_id, c.name AS name, c.vip_card AS vip_card, c.local_network AS local_network, last_visit
ORDER BY vip_card, customer_id
