// Offering names a bulk first load learnt after it had created the offering: set as a later row's
// non-empty name sets them on the Cypher path (ingest/subscriptions_new). $rows: [{id, name}].
// view: unchanged (a first load has no customers yet)
UNWIND $rows AS r
MATCH (o:Offering {id: r.id})
SET o.name = r.name
RETURN count(o) AS named
