// Create subscriptions the ingest found absent, with their source records, offering and billing
// account, hung at once on the live customer of their owner record (CREATE: no lookup of a node or a
// holding that cannot exist yet; the unique constraints make a race with another writer fail the whole
// statement, and the ingest then repeats the batch with ingest/subscriptions). Same $rows as that file.
// The customer a subscription reaches and, when an offering is renamed, every customer holding it get a
// new version.
// The rows carry only what the lookups after their creation need, and the owner's customer is reached
// without naming the label RECORD_OF implies (docs/benchmarks.md, thirtieth session).
UNWIND $rows AS r
CREATE (s:SourceRecord)
SET s = r.record, s.loaded_at = $now, s.version = 1, s.changed_at = $now
CREATE (x:Subscription)
SET x = r.node
CREATE (s)-[:DESCRIBES]->(x)
WITH x, r.node.owner_record AS owner, r.offering AS offering, r.offering_name AS offering_name, r.account AS account
OPTIONAL MATCH (:SourceRecord {id: coalesce(owner, '')})-[:RECORD_OF]->(customer)
WITH x, offering, offering_name, account, CASE WHEN customer.status = 'active' THEN customer END AS holder
FOREACH (c IN CASE WHEN holder IS NULL THEN [] ELSE [holder] END | CREATE (c)-[:OWNS]->(x) SET view_changed(c))
WITH x, offering, offering_name, account
OPTIONAL MATCH (known:Offering {id: coalesce(offering, '')})
WITH x, offering, offering_name, account,
     known IS NOT NULL AND offering_name IS NOT NULL AND coalesce(known.name, '') <> offering_name AS renamed
FOREACH (code IN CASE WHEN offering IS NULL THEN [] ELSE [offering] END |
  MERGE (o:Offering {id: code})
  CREATE (x)-[:ON_OFFERING]->(o))
FOREACH (id IN CASE WHEN account IS NULL THEN [] ELSE [account] END |
  MERGE (a:Account {id: id})
  CREATE (x)-[:BILLED_TO]->(a))
WITH x, offering, offering_name, renamed
// Named row by row outside FOREACH: FalkorDB's FOREACH kept an offering's first name of a batch.
OPTIONAL MATCH (named:Offering {id: coalesce(offering, '')})
SET named.name = coalesce(offering_name, named.name)
WITH x, offering, renamed
CALL { WITH offering, renamed
  MATCH (o:Offering {id: offering})<-[:ON_OFFERING]-(:Subscription)<-[:OWNS]-(holder:Customer)
  WHERE renamed
  SET view_changed(holder)
  RETURN count(holder) AS holders }
RETURN count(x) AS written
