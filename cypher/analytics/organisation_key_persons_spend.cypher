// Purpose: Group customers (政企) with their members and key persons (集团关键人) and what the
//          organisation was billed since a month.
// Parameters: $from_month - first month counted, 'YYYY-MM'
// Columns: organisation_id, organisation, local_network, members, key_person_ids (sorted),
//          key_persons (their names, in the same order), spend (yuan, 2 decimals)
MATCH (p:Customer {status: 'active'})-[m:MEMBER_OF]->(o:Customer {status: 'active'})
WITH o, p, m
ORDER BY p.id
WITH o, count(DISTINCT p) AS members,
     collect(DISTINCT CASE WHEN m.key_person = true THEN p.id END) AS key_person_ids,
     collect(DISTINCT CASE WHEN m.key_person = true THEN p.name END) AS key_persons
OPTIONAL MATCH (o)<-[:RECORD_OF]-(r:SourceRecord)
OPTIONAL MATCH (:Account {owner_record: r.id})<-[:BILL_OF]-(b:Bill)
WHERE b.month >= $from_month
WITH o, members, key_person_ids, key_persons, sum(b.amount) AS total
RETURN o.id AS organisation_id, o.name AS organisation, o.local_network AS local_network, members,
       key_person_ids, key_persons, round(total * 100) / 100.0 AS spend
ORDER BY spend DESC, organisation_id
