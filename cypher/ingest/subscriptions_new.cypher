// Create subscriptions the ingest found absent, with their source records, offering and billing
// account, hung at once on the live customer of their owner record (CREATE: no lookup of a node or a
// holding that cannot exist yet; the unique constraints make a race with another writer fail the whole
// statement, and the ingest then repeats the batch with ingest/subscriptions). Same $rows as that file.
// The customer a subscription reaches and, when an offering is renamed, every customer holding it get a
// new version.
UNWIND $rows AS r
CREATE (s:SourceRecord)
SET s = r.record, s.loaded_at = $now, s.version = 1, s.changed_at = $now
CREATE (x:Subscription)
SET x = r.node
CREATE (s)-[:DESCRIBES]->(x)
WITH r, x
OPTIONAL MATCH (:SourceRecord {id: coalesce(r.node.owner_record, '')})-[:RECORD_OF]->(customer:Customer)
WITH r, x, CASE WHEN customer.status = 'active' THEN customer END AS holder
FOREACH (c IN CASE WHEN holder IS NULL THEN [] ELSE [holder] END | CREATE (c)-[:OWNS]->(x) SET view_changed(c))
WITH r, x
OPTIONAL MATCH (known:Offering {id: coalesce(r.offering, '')})
WITH r, x, known IS NOT NULL AND r.offering_name IS NOT NULL AND coalesce(known.name, '') <> r.offering_name
     AS renamed
FOREACH (code IN CASE WHEN r.offering IS NULL THEN [] ELSE [r.offering] END |
  MERGE (o:Offering {id: code})
  CREATE (x)-[:ON_OFFERING]->(o))
FOREACH (account IN CASE WHEN r.account IS NULL THEN [] ELSE [r.account] END |
  MERGE (a:Account {id: account})
  CREATE (x)-[:BILLED_TO]->(a))
WITH r, x, renamed
// Named row by row outside FOREACH: FalkorDB's FOREACH kept an offering's first name of a batch.
OPTIONAL MATCH (named:Offering {id: coalesce(r.offering, '')})
SET named.name = coalesce(r.offering_name, named.name)
WITH r, x, renamed
CALL { WITH r, renamed
  MATCH (o:Offering {id: r.offering})<-[:ON_OFFERING]-(:Subscription)<-[:OWNS]-(holder:Customer)
  WHERE renamed
  SET view_changed(holder)
  RETURN count(holder) AS holders }
RETURN count(x) AS written
