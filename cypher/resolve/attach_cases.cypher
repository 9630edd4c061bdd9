// Hang each customer's cases on it, from the source records it now owns; a case that hung on another
// customer moves (see attach_opportunities). $customers: [{id, records: [record ids], manager}]
// (A flat pipeline on purpose: FalkorDB applied DELETE + MERGE inside CALL {} to one outer row only.)
UNWIND $customers AS c
MATCH (x:Customer {id: c.id})
UNWIND c.records AS rid
MATCH (k:Case {owner_record: rid})
OPTIONAL MATCH (k)<-[old:HAS_CASE]-(other:Customer) WHERE other <> x
FOREACH (left IN CASE WHEN other IS NULL THEN [] ELSE [other] END | SET view_changed(left))
DELETE old
MERGE (x)-[new:HAS_CASE]->(k)
ON CREATE SET view_changed(x)
RETURN count(DISTINCT k) AS attached
