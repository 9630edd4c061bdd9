// One page of each customer's contact timeline, newest first, with optional filters.
// $pages: [{key, id, first, channel, kind, since, until, before_at, before_id}]; returns first+1 rows
// per customer so the caller can tell whether there is a next page, and the filtered total.
UNWIND $pages AS p
MATCH (c:Customer {id: p.id})-[:HAD_CONTACT]->(x:Contact)
WHERE (p.channel IS NULL OR x.channel = p.channel)
  AND (p.kind IS NULL OR x.kind = p.kind)
  AND (p.since IS NULL OR x.at >= p.since)
  AND (p.until IS NULL OR x.at < p.until)
WITH p, x
ORDER BY x.at DESC, x.id DESC
WITH p, collect(x {.*}) AS all_contacts
WITH p, all_contacts, [x IN all_contacts WHERE p.before_at IS NULL OR x.at < p.before_at
                        OR (x.at = p.before_at AND x.id < p.before_id)] AS after_cursor
RETURN p.key AS key, p.id AS id, size(all_contacts) AS total, after_cursor[0..(p.first + 1)] AS contacts
