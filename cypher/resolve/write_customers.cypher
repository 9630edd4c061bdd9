// Write a batch of resolved customers: golden attributes, and each source record linked to
// its customer with the explanation of why (moving it off any other customer). Every customer
// whose view changes gets a new version: this one, the one a record leaves, and the organisation
// links that show this one's name.
// A customer's `holdings_attached` is cleared until app/services/resolve.attach_holdings has moved its
// holdings after it (resolve/holdings_attached sets it again), so a run cut off between the two is
// repaired by the next even where no record moves any more; `attach: false` (a batch run's customer
// whose records are all where they were) leaves it as it is.
// `golden_digest` keeps c.digest (a batch run's, app/services/resolve.written_digest; none from other
// paths) so the next run can tell this write would change nothing.
// $customers: [{id, props, records: [{id, why}], version, attach, digest}]. With a version (incremental resolution,
// which checked the hard rules against the customer as it was then), a customer changed since is
// left as it is and its row links nothing: the caller places the record again. The lock is taken
// first, so that on Neo4j the version is read under it.
UNWIND $customers AS c
MERGE (x:Customer {id: c.id})
ON CREATE SET x.created_at = $now, x.version = 0
FOREACH (_ IN CASE WHEN c.version IS NULL THEN [] ELSE [1] END | SET x.lock = $now)
WITH x, c
REMOVE x.lock
WITH x, c
WITH x, c
WHERE c.version IS NULL OR x.version = c.version
// c.props: the golden values (no nulls); c.cleared: [{key: null}] for the attributes it no longer has, removed
// one per FOREACH iteration (FalkorDB 4.16 can remove the wrong one of several: docs/graph-model.md).
SET x += c.props, x.status = 'active', x.updated_at = $now, x.golden_digest = c.digest, view_changed(x)
FOREACH (gone IN coalesce(c.cleared, []) | SET x += gone)
FOREACH (_ IN CASE WHEN coalesce(c.attach, true) THEN [1] ELSE [] END | SET x.holdings_attached = null)
WITH x, c
OPTIONAL MATCH (x)-[:MEMBER_OF]-(shown:Customer)
FOREACH (n IN CASE WHEN shown IS NULL THEN [] ELSE [shown] END | SET view_changed(n))
WITH DISTINCT x, c
UNWIND c.records AS r
MATCH (s:SourceRecord {id: r.id})
OPTIONAL MATCH (s)-[old:RECORD_OF]->(other:Customer)
WHERE other.id <> c.id
FOREACH (left IN CASE WHEN other IS NULL THEN [] ELSE [other] END | SET view_changed(left))
DELETE old
WITH x, s, r
MERGE (s)-[l:RECORD_OF]->(x)
SET l.why = r.why, l.at = $now
RETURN count(l) AS linked
