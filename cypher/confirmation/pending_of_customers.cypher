// The pending suspected duplicates touching each customer's records (接触归并): the candidate, the
// customer's own record in it (the present one) and the other record with the customer it belongs to,
// and every instant either customer was merged, unmerged or split (the check required grows with a
// recent one); a candidate whose records are one customer already is moot and left out. Columns: id (the customer asked for), candidate, present, other, other_customer, changes.
UNWIND $ids AS wanted
MATCH (c:Customer {id: wanted})<-[:RECORD_OF]-(s:SourceRecord)<-[:LEFT|RIGHT]-(m:MatchCandidate)
WITH wanted, c, s, m
WHERE m.status = 'pending'
MATCH (m)-[:LEFT|RIGHT]->(o:SourceRecord)
WITH wanted, c, s, m, o
WHERE o.id <> s.id
OPTIONAL MATCH (o)-[:RECORD_OF]->(oc:Customer)
WITH wanted, c, s, m, o, oc
WHERE oc IS NULL OR oc.id <> c.id
CALL {
  WITH c
  OPTIONAL MATCH (c)<-[:SURVIVOR|ABSORBED]-(e:MergeEvent)
  RETURN collect(e.at) + collect(e.undone_at) AS mine
}
CALL {
  WITH oc
  OPTIONAL MATCH (oc)<-[:SURVIVOR|ABSORBED]-(e:MergeEvent)
  RETURN collect(e.at) + collect(e.undone_at) AS theirs
}
RETURN wanted AS id, m {.id, .probability, .rule, .department, .created_at} AS candidate, s.id AS present,
       o {.id, .source, .name} AS other, oc.id AS other_customer, mine + theirs AS changes
ORDER BY id, candidate.id
