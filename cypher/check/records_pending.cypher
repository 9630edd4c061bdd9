// Not an invariant: customer source records awaiting resolution (loaded, on no customer yet: before
// the first `c360 resolve`, or a bulk load past the incremental limit), with a few of them.
MATCH (r:SourceRecord {kind: 'customers'})
WHERE NOT (r)-[:RECORD_OF]->(:Customer)
WITH count(r) AS pending, collect(r.id)[0..$limit] AS examples
RETURN 'SourceRecord' AS label, pending, examples
