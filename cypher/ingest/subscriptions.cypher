// Upsert subscriptions with their source records, offering and billing account.
// $rows: [{id, record, node, account, offering, offering_name}]. A subscription hangs on its customer
// record's live customer at once (as resolve/attach_subscriptions does after a batch run), and leaves
// any other customer; one whose record awaits resolution hangs on none yet (check/holdings_pending
// counts them). The customers owning a changed subscription, one it leaves, and, when an offering is
// renamed, every customer holding it get a new version.
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r.id})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = r.record
SET s.loaded_at = first_loaded, s.version = version, s.changed_at = $now
MERGE (x:Subscription {id: r.id})
SET x += r.node
MERGE (s)-[:DESCRIBES]->(x)
WITH r, x
OPTIONAL MATCH (owned:SourceRecord {id: r.node.owner_record})
WITH r, x, owned
OPTIONAL MATCH (owned)-[:RECORD_OF]->(customer:Customer)
WITH r, x, CASE WHEN customer.status = 'active' THEN customer END AS holder
OPTIONAL MATCH (x)<-[held:OWNS]-(other:Customer)
WHERE holder IS NULL OR other <> holder
FOREACH (left IN CASE WHEN other IS NULL THEN [] ELSE [other] END | SET view_changed(left))
DELETE held
WITH DISTINCT r, x, holder
FOREACH (c IN CASE WHEN holder IS NULL THEN [] ELSE [holder] END | MERGE (c)-[:OWNS]->(x))
WITH r, x
OPTIONAL MATCH (x)-[old:ON_OFFERING|BILLED_TO]->()
DELETE old
WITH DISTINCT r, x
OPTIONAL MATCH (known:Offering {id: r.offering})
WITH r, x, known IS NOT NULL AND r.offering_name IS NOT NULL AND coalesce(known.name, '') <> r.offering_name
     AS renamed
FOREACH (code IN CASE WHEN r.offering IS NULL THEN [] ELSE [r.offering] END |
  MERGE (o:Offering {id: code})
  MERGE (x)-[:ON_OFFERING]->(o))
FOREACH (account IN CASE WHEN r.account IS NULL THEN [] ELSE [r.account] END |
  MERGE (a:Account {id: account})
  MERGE (x)-[:BILLED_TO]->(a))
WITH r, x, renamed
// Named row by row outside FOREACH: FalkorDB's FOREACH kept an offering's first name of a batch.
OPTIONAL MATCH (named:Offering {id: coalesce(r.offering, '')})
SET named.name = coalesce(r.offering_name, named.name)
WITH r, x, renamed
CALL { WITH x
  MATCH (owner:Customer)-[:OWNS]->(x)
  SET view_changed(owner)
  RETURN count(owner) AS owners }
CALL { WITH r, renamed
  MATCH (o:Offering {id: r.offering})<-[:ON_OFFERING]-(:Subscription)<-[:OWNS]-(holder:Customer)
  WHERE renamed
  SET view_changed(holder)
  RETURN count(holder) AS holders }
RETURN count(x) AS written
