// The customer's opportunities with whoever claimed each (holdings).
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:HAS_OPPORTUNITY]->(p)
  OPTIONAL MATCH (p)-[:CLAIMED_BY]->(e)
  RETURN collect(CASE WHEN p IS NULL THEN NULL ELSE
                 {item: 'opportunity', props: p {.*}, account: null, offering: e {.id, .name}} END) AS opportunities
}
