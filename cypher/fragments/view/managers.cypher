// The customer's account managers with their roles (relations).
CALL {
  WITH live
  OPTIONAL MATCH (live)-[r:MANAGED_BY]->(e)
  RETURN collect(CASE WHEN e IS NULL THEN NULL ELSE
                 {link: 'manager', role: r.role, other: e {.*}, key_person: null, title: null} END) AS managers
}
