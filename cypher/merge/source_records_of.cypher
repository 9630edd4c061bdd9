// The customer fields of source records, for re-deriving golden records after a merge or split.
// $columns: app.customer.RECORD_COLUMNS, the values come back in that order.
UNWIND $ids AS rid
MATCH (s:SourceRecord {id: rid})
RETURN [k IN $columns | s[k]] AS values
