// Hang each customer's opportunities on it, from the source records it now owns; an opportunity that hung
// on another customer moves. $customers: [{id, records: [record ids], manager}]
// (A flat pipeline on purpose: FalkorDB applied DELETE + MERGE inside CALL {} to one outer row only.)
UNWIND $customers AS c
MATCH (x:Customer {id: c.id})
UNWIND c.records AS rid
MATCH (o:Opportunity {owner_record: rid})
OPTIONAL MATCH (o)<-[old:HAS_OPPORTUNITY]-(other:Customer) WHERE other <> x
FOREACH (left IN CASE WHEN other IS NULL THEN [] ELSE [other] END | SET view_changed(left))
DELETE old
MERGE (x)-[new:HAS_OPPORTUNITY]->(o)
ON CREATE SET view_changed(x)
RETURN count(DISTINCT o) AS attached
