// Merge one customer into another in ONE statement (atomic on both backends): every relationship
// of the absorbed customer moves to the survivor, each tagged with the event in moved_by so that
// the event can be undone exactly; the absorbed customer is kept, marked merged, and points to the
// survivor. Nothing happens (no row returned) when either customer changed since it was read
// ($survivor_version / $absorbed_version), or when $candidate names a match candidate that is no
// longer pending; the caller reports either as a conflict. An approved candidate is marked here,
// in the same statement, so that two stewards approving it at once cannot both succeed; so is the
// steward's decision ($decisions, a must-link that every later resolution obeys), and the keep-apart
// decisions it replaces ($ended: an unmerge's, awaiting this candidate's decision) end here too.
// The customer kept loses the marks a batch run leaves a customer alone by (holdings_attached,
// golden_digest), so the next run writes it and re-attaches its holdings.
MATCH (s:Customer {id: $survivor}), (a:Customer {id: $absorbed})
SET s.lock = $event, a.lock = $event
WITH s, a
REMOVE s.lock, a.lock
WITH s, a
WITH s, a
WHERE s.status = 'active' AND a.status = 'active'
  AND s.version = $survivor_version AND a.version = $absorbed_version
OPTIONAL MATCH (mc:MatchCandidate {id: $candidate})
SET mc.lock = $event
WITH s, a, mc
FOREACH (x IN CASE WHEN mc IS NULL THEN [] ELSE [mc] END | REMOVE x.lock)
WITH s, a, mc
WITH s, a, mc
WHERE $candidate IS NULL OR mc.status = 'pending'
CALL { WITH s, a
  UNWIND $moved.records AS tid
  MATCH (a)<-[r:RECORD_OF]-(t:SourceRecord {id: tid})
  CREATE (s)<-[n:RECORD_OF]-(t)
  SET n = properties(r), n.moved_by = coalesce(r.moved_by, []) + $event
  DELETE r
  RETURN count(n) AS records }
CALL { WITH s, a
  UNWIND $moved.accounts AS tid
  MATCH (a)-[r:HAS_ACCOUNT]->(t:Account {id: tid})
  CREATE (s)-[n:HAS_ACCOUNT]->(t)
  SET n = properties(r), n.moved_by = coalesce(r.moved_by, []) + $event
  DELETE r
  RETURN count(n) AS accounts }
CALL { WITH s, a
  UNWIND $moved.subscriptions AS tid
  MATCH (a)-[r:OWNS]->(t:Subscription {id: tid})
  CREATE (s)-[n:OWNS]->(t)
  SET n = properties(r), n.moved_by = coalesce(r.moved_by, []) + $event
  DELETE r
  RETURN count(n) AS subscriptions }
CALL { WITH s, a
  UNWIND $moved.contacts AS tid
  MATCH (a)-[r:HAD_CONTACT]->(t:Contact {id: tid})
  CREATE (s)-[n:HAD_CONTACT]->(t)
  SET n = properties(r), n.moved_by = coalesce(r.moved_by, []) + $event
  DELETE r
  RETURN count(n) AS contacts }
CALL { WITH s, a
  UNWIND $moved.opportunities AS tid
  MATCH (a)-[r:HAS_OPPORTUNITY]->(t:Opportunity {id: tid})
  CREATE (s)-[n:HAS_OPPORTUNITY]->(t)
  SET n = properties(r), n.moved_by = coalesce(r.moved_by, []) + $event
  DELETE r
  RETURN count(n) AS opportunities }
CALL { WITH s, a
  UNWIND $moved.cases AS tid
  MATCH (a)-[r:HAS_CASE]->(t:Case {id: tid})
  CREATE (s)-[n:HAS_CASE]->(t)
  SET n = properties(r), n.moved_by = coalesce(r.moved_by, []) + $event
  DELETE r
  RETURN count(n) AS cases }
CALL { WITH s, a
  UNWIND $moved.managers AS tid
  MATCH (a)-[r:MANAGED_BY]->(t:Employee {id: tid})
  CREATE (s)-[n:MANAGED_BY]->(t)
  SET n = properties(r), n.moved_by = coalesce(r.moved_by, []) + $event
  DELETE r
  RETURN count(n) AS managers }
CALL { WITH s, a
  UNWIND $moved.member_of AS tid
  MATCH (a)-[r:MEMBER_OF]->(t:Customer {id: tid})
  CREATE (s)-[n:MEMBER_OF]->(t)
  SET n = properties(r), n.moved_by = coalesce(r.moved_by, []) + $event
  DELETE r
  RETURN count(n) AS member_of }
CALL { WITH s, a
  UNWIND $moved.members AS tid
  MATCH (a)<-[r:MEMBER_OF]-(t:Customer {id: tid})
  CREATE (s)<-[n:MEMBER_OF]-(t)
  SET n = properties(r), n.moved_by = coalesce(r.moved_by, []) + $event
  DELETE r
  RETURN count(n) AS members }
CALL { WITH s, a
  UNWIND $moved.households AS tid
  MATCH (a)-[r:IN_HOUSEHOLD]->(t:Household {id: tid})
  CREATE (s)-[n:IN_HOUSEHOLD]->(t)
  SET n = properties(r), n.moved_by = coalesce(r.moved_by, []) + $event
  DELETE r
  RETURN count(n) AS households }
CREATE (e:MergeEvent {id: $event, kind: 'merge', at: $now, decided_by: $decided_by, explanation: $explanation,
                      survivor: s.id, absorbed: a.id, survivor_before: $survivor_before,
                      absorbed_before: $absorbed_before,
                      moved_records: $moved.records, moved_accounts: $moved.accounts,
                      moved_subscriptions: $moved.subscriptions, moved_contacts: $moved.contacts,
                      moved_opportunities: $moved.opportunities, moved_cases: $moved.cases,
                      moved_managers: $moved.managers,
                      moved_member_of: $moved.member_of, moved_members: $moved.members,
                      moved_households: $moved.households})
CREATE (e)-[:SURVIVOR]->(s)
CREATE (e)-[:ABSORBED]->(a)
CREATE (a)-[:MERGED_INTO {event: $event}]->(s)
// The golden values come without nulls; the attributes it no longer has are removed one per FOREACH
// iteration (FalkorDB 4.16 can remove the wrong one of several removed at once: docs/graph-model.md).
SET s += $survivor_golden, view_changed(s), s.updated_at = $now,
    a.status = 'merged', a.merged_into = s.id, view_changed(a), a.updated_at = $now
FOREACH (gone IN $survivor_cleared + [{holdings_attached: null}, {golden_digest: null}] | SET s += gone)
FOREACH (x IN CASE WHEN mc IS NULL THEN [] ELSE [mc] END |
  SET x.status = 'approved', x.decided_by = $decided_by, x.decided_at = $now, x.merge_event = $event)
FOREACH (x IN $decisions | CREATE (d:StewardDecision) SET d = x)
WITH e, s, records + accounts + subscriptions + contacts + opportunities + cases + managers + member_of
       + members + households AS moved
CALL { WITH e
  MATCH (d:StewardDecision) WHERE d.id IN $ended AND d.status = 'standing'
  SET d.status = 'superseded', d.ended_at = $now, d.ended_by = $decided_by
  RETURN count(d) AS superseded }
CALL { WITH s
  MATCH (s)-[:MEMBER_OF]-(shown:Customer)
  SET view_changed(shown)
  RETURN count(shown) AS neighbours }
RETURN e.id AS event, moved
