// The customer's household (relations).
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:IN_HOUSEHOLD]->(h)
  RETURN collect(CASE WHEN h IS NULL THEN NULL ELSE
                 {link: 'household', role: null, other: h {.*}, key_person: null, title: null} END) AS households
}
