// Organisation memberships between resolved customers, from organisation_members source records.
// Each step is anchored on an index lookup (the WITHs stop FalkorDB from scanning customers).
MATCH (m:SourceRecord {kind: 'organisation_members'})
WITH m
MATCH (member:SourceRecord {id: m.member_record})
WITH m, member
MATCH (member)-[:RECORD_OF]->(person:Customer)
WITH m, person
MATCH (organisation:SourceRecord {id: m.organisation_record})
WITH m, person, organisation
MATCH (organisation)-[:RECORD_OF]->(org:Customer)
MERGE (person)-[r:MEMBER_OF {record: m.id}]->(org)
SET r.key_person = coalesce(m.key_person, false), r.title = m.title,
    view_changed(person), view_changed(org)
RETURN count(r) AS memberships
