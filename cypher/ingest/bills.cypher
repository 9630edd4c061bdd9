// Upsert monthly bills with their source records. $rows: [{id, record, node, account}].
// A bill reaches its customer through its account: an account that hangs on no customer yet (loaded
// while its customer record awaited resolution, or by an earlier release that left holdings to
// `c360 resolve`) is hung on that record's live customer here, as resolve/attach_accounts would.
// The customers whose accounts were billed get a new version, once per statement.
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r.id})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = r.record
SET s.loaded_at = first_loaded, s.version = version, s.changed_at = $now
MERGE (b:Bill {id: r.id})
SET b += r.node
MERGE (s)-[:DESCRIBES]->(b)
MERGE (a:Account {id: r.account})
MERGE (b)-[:BILL_OF]->(a)
WITH a, count(b) AS billed
OPTIONAL MATCH (owned:SourceRecord {id: coalesce(a.owner_record, '')})
WHERE NOT (a)<-[:HAS_ACCOUNT]-(:Customer)
WITH a, billed, owned
OPTIONAL MATCH (owned)-[:RECORD_OF]->(customer:Customer)
WITH a, billed, CASE WHEN customer.status = 'active' THEN customer END AS holder
FOREACH (x IN CASE WHEN holder IS NULL THEN [] ELSE [holder] END | MERGE (x)-[:HAS_ACCOUNT]->(a))
WITH a, billed
CALL { WITH a
  MATCH (owner:Customer)-[:HAS_ACCOUNT]->(a)
  SET view_changed(owner)
  RETURN count(owner) AS owners }
RETURN sum(billed) AS written
