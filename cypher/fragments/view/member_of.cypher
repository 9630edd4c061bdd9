// The organisations the customer belongs to, as key person or not (relations; the tier's tag).
CALL {
  WITH live
  OPTIONAL MATCH (live)-[r:MEMBER_OF]->(o:Customer)
  RETURN collect(CASE WHEN o IS NULL THEN NULL ELSE
                 {link: 'member_of', role: null, other: o {.id, .name, .org_class, .segment},
                  key_person: r.key_person, title: r.title} END) AS member_of
}
