// The source records behind several customers, with why each belongs there.
UNWIND $ids AS id
MATCH (c:Customer {id: id})<-[l:RECORD_OF]-(s:SourceRecord)
RETURN id, s.id AS record_id, s.source AS source, s.source_id AS source_id, s.fields AS fields,
       s.loaded_at AS loaded_at, s.changed_at AS changed_at, l.why AS why
ORDER BY record_id
