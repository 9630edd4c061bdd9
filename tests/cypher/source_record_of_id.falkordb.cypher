// A bare source record of a given id: the unique-constraint check FalkorDB 4.16 crashes in when the
// id is longer than 4,096 bytes (docs/operations.md, the embedded store's known limits).
// view: unchanged (a record of no customer yet)
MERGE (r:SourceRecord {id: $id})
RETURN r.id AS id
