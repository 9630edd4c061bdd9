// The source records of the given customers (to re-derive their golden records).
UNWIND $ids AS cid
MATCH (c:Customer {id: cid})<-[:RECORD_OF]-(s:SourceRecord)
RETURN c.id AS customer, s.id AS record
