// The customers who belong to this organisation (relations).
CALL {
  WITH live
  OPTIONAL MATCH (live)<-[r:MEMBER_OF]-(m:Customer)
  RETURN collect(CASE WHEN m IS NULL THEN NULL ELSE
                 {link: 'member', role: null, other: m {.id, .name, .segment},
                  key_person: r.key_person, title: r.title} END) AS members
}
