// Account managers and organisation links (a household's among them) of several customers, one row per link.
UNWIND $ids AS id
MATCH (c:Customer {id: id})
CALL {
  WITH c
  MATCH (c)-[r:MANAGED_BY]->(e:Employee)
  RETURN 'manager' AS link, r.role AS role, e {.*} AS other, null AS key_person, null AS title
  UNION
  WITH c
  MATCH (c)-[r:MEMBER_OF]->(o:Customer)
  RETURN 'member_of' AS link, null AS role, o {.id, .name, .org_class, .segment} AS other,
         r.key_person AS key_person, r.title AS title
  UNION
  WITH c
  MATCH (c)<-[r:MEMBER_OF]-(m:Customer)
  RETURN 'member' AS link, null AS role, m {.id, .name, .segment} AS other,
         r.key_person AS key_person, r.title AS title
}
RETURN id, link, role, other, key_person, title
