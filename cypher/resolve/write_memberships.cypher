// Organisation memberships between resolved customers, from organisation_members source records.
MATCH (m:SourceRecord {kind: 'organisation_members'})
MATCH (:SourceRecord {id: m.member_record})-[:RECORD_OF]->(person:Customer)
MATCH (:SourceRecord {id: m.organisation_record})-[:RECORD_OF]->(org:Customer)
MERGE (person)-[r:MEMBER_OF {record: m.id}]->(org)
SET r.key_person = coalesce(m.key_person, false), r.title = m.title
RETURN count(r) AS memberships
