// The ids of the source records on customer $id, and the links' reasons.
MATCH (c:Customer {id: $id})<-[l:RECORD_OF]-(r:SourceRecord)
RETURN r.id AS id, l.why AS why
ORDER BY id
