// Undo one merge event exactly, in ONE statement: every relationship the event moved (found by
// the event's id in its moved_by list, wherever it hangs now) goes back to the absorbed customer,
// which becomes active again; golden records of both sides are re-derived by the caller and passed
// in. Nothing happens (no row) when the event is unknown, already undone, or not a merge.
// A returning relationship keeps only the tags of merges before this one: later merges moved it
// only because it sat on this event's survivor, so they must not take it along when undone.
// The steward's same-customer decisions made by the event end ('undone'); the pair goes back to the
// review queue as pending ($returned) and is kept apart until decided ($decisions, a keep-apart).
// Both customers lose the marks a batch run leaves a customer alone by (holdings_attached,
// golden_digest): a holding that reached the survivor after the merge is moved by the next run.
MATCH (e:MergeEvent {id: $event})-[:ABSORBED]->(a:Customer)
MATCH (e)-[:SURVIVOR]->(s:Customer)
SET e.lock = $now
WITH e, a, s
REMOVE e.lock
WITH e, a, s
WITH e, a, s
WHERE e.undone_at IS NULL AND e.kind = 'merge' AND a.status = 'merged'
CALL { WITH e, a
  UNWIND e.moved_records AS tid
  MATCH (h:Customer)<-[r:RECORD_OF]-(t:SourceRecord {id: tid})
  WHERE $event IN coalesce(r.moved_by, [])
  CREATE (a)<-[n:RECORD_OF]-(t)
  SET n = properties(r)
  SET n.moved_by = CASE WHEN r.moved_by[0] = $event THEN null
                    ELSE r.moved_by[0..[i IN range(0, size(r.moved_by) - 1) WHERE r.moved_by[i] = $event][0]] END
  DELETE r
  RETURN count(n) AS records }
CALL { WITH e, a
  UNWIND e.moved_accounts AS tid
  MATCH (h:Customer)-[r:HAS_ACCOUNT]->(t:Account {id: tid})
  WHERE $event IN coalesce(r.moved_by, [])
  CREATE (a)-[n:HAS_ACCOUNT]->(t)
  SET n = properties(r)
  SET n.moved_by = CASE WHEN r.moved_by[0] = $event THEN null
                    ELSE r.moved_by[0..[i IN range(0, size(r.moved_by) - 1) WHERE r.moved_by[i] = $event][0]] END
  DELETE r
  RETURN count(n) AS accounts }
CALL { WITH e, a
  UNWIND e.moved_subscriptions AS tid
  MATCH (h:Customer)-[r:OWNS]->(t:Subscription {id: tid})
  WHERE $event IN coalesce(r.moved_by, [])
  CREATE (a)-[n:OWNS]->(t)
  SET n = properties(r)
  SET n.moved_by = CASE WHEN r.moved_by[0] = $event THEN null
                    ELSE r.moved_by[0..[i IN range(0, size(r.moved_by) - 1) WHERE r.moved_by[i] = $event][0]] END
  DELETE r
  RETURN count(n) AS subscriptions }
CALL { WITH e, a
  UNWIND e.moved_contacts AS tid
  MATCH (h:Customer)-[r:HAD_CONTACT]->(t:Contact {id: tid})
  WHERE $event IN coalesce(r.moved_by, [])
  CREATE (a)-[n:HAD_CONTACT]->(t)
  SET n = properties(r)
  SET n.moved_by = CASE WHEN r.moved_by[0] = $event THEN null
                    ELSE r.moved_by[0..[i IN range(0, size(r.moved_by) - 1) WHERE r.moved_by[i] = $event][0]] END
  DELETE r
  RETURN count(n) AS contacts }
CALL { WITH e, a
  UNWIND e.moved_opportunities AS tid
  MATCH (h:Customer)-[r:HAS_OPPORTUNITY]->(t:Opportunity {id: tid})
  WHERE $event IN coalesce(r.moved_by, [])
  CREATE (a)-[n:HAS_OPPORTUNITY]->(t)
  SET n = properties(r)
  SET n.moved_by = CASE WHEN r.moved_by[0] = $event THEN null
                    ELSE r.moved_by[0..[i IN range(0, size(r.moved_by) - 1) WHERE r.moved_by[i] = $event][0]] END
  DELETE r
  RETURN count(n) AS opportunities }
CALL { WITH e, a
  UNWIND coalesce(e.moved_cases, []) AS tid
  MATCH (h:Customer)-[r:HAS_CASE]->(t:Case {id: tid})
  WHERE $event IN coalesce(r.moved_by, [])
  CREATE (a)-[n:HAS_CASE]->(t)
  SET n = properties(r)
  SET n.moved_by = CASE WHEN r.moved_by[0] = $event THEN null
                    ELSE r.moved_by[0..[i IN range(0, size(r.moved_by) - 1) WHERE r.moved_by[i] = $event][0]] END
  DELETE r
  RETURN count(n) AS cases }
CALL { WITH e, a
  UNWIND e.moved_managers AS tid
  MATCH (h:Customer)-[r:MANAGED_BY]->(t:Employee {id: tid})
  WHERE $event IN coalesce(r.moved_by, [])
  CREATE (a)-[n:MANAGED_BY]->(t)
  SET n = properties(r)
  SET n.moved_by = CASE WHEN r.moved_by[0] = $event THEN null
                    ELSE r.moved_by[0..[i IN range(0, size(r.moved_by) - 1) WHERE r.moved_by[i] = $event][0]] END
  DELETE r
  RETURN count(n) AS managers }
CALL { WITH e, a
  UNWIND e.moved_member_of AS tid
  MATCH (h:Customer)-[r:MEMBER_OF]->(t:Customer {id: tid})
  WHERE $event IN coalesce(r.moved_by, [])
  CREATE (a)-[n:MEMBER_OF]->(t)
  SET n = properties(r)
  SET n.moved_by = CASE WHEN r.moved_by[0] = $event THEN null
                    ELSE r.moved_by[0..[i IN range(0, size(r.moved_by) - 1) WHERE r.moved_by[i] = $event][0]] END
  DELETE r
  RETURN count(n) AS member_of }
CALL { WITH e, a
  UNWIND e.moved_members AS tid
  MATCH (h:Customer)<-[r:MEMBER_OF]-(t:Customer {id: tid})
  WHERE $event IN coalesce(r.moved_by, [])
  CREATE (a)<-[n:MEMBER_OF]-(t)
  SET n = properties(r)
  SET n.moved_by = CASE WHEN r.moved_by[0] = $event THEN null
                    ELSE r.moved_by[0..[i IN range(0, size(r.moved_by) - 1) WHERE r.moved_by[i] = $event][0]] END
  DELETE r
  RETURN count(n) AS members }
CALL { WITH e, a
  UNWIND e.moved_households AS tid
  MATCH (h:Customer)-[r:IN_HOUSEHOLD]->(t:Household {id: tid})
  WHERE $event IN coalesce(r.moved_by, [])
  CREATE (a)-[n:IN_HOUSEHOLD]->(t)
  SET n = properties(r)
  SET n.moved_by = CASE WHEN r.moved_by[0] = $event THEN null
                    ELSE r.moved_by[0..[i IN range(0, size(r.moved_by) - 1) WHERE r.moved_by[i] = $event][0]] END
  DELETE r
  RETURN count(n) AS households }
WITH e, a, s, records + accounts + subscriptions + contacts + opportunities + cases + managers + member_of
     + members + households AS moved
OPTIONAL MATCH (a)-[m:MERGED_INTO {event: $event}]->()
DELETE m
WITH DISTINCT e, a, s, moved
// The golden values come without nulls; the attributes it no longer has are removed one per FOREACH
// iteration (FalkorDB 4.16 can remove the wrong one of several removed at once: docs/graph-model.md).
SET a += $absorbed_golden, a.status = 'active', view_changed(a), a.updated_at = $now,
    s += $survivor_golden, view_changed(s), s.updated_at = $now,
    e.undone_at = $now, e.undone_by = $decided_by
FOREACH (gone IN $absorbed_cleared + [{merged_into: null}, {holdings_attached: null}, {golden_digest: null}] | SET a += gone)
FOREACH (gone IN $survivor_cleared + [{holdings_attached: null}, {golden_digest: null}] | SET s += gone)
FOREACH (x IN $decisions | CREATE (d:StewardDecision) SET d = x)
WITH e, a, s, moved
CALL { WITH e
  MATCH (d:StewardDecision {event: $event}) WHERE d.status = 'standing' AND d.kind = 'must'
  SET d.status = 'undone', d.ended_at = $now, d.ended_by = $decided_by
  RETURN count(d) AS undone }
CALL { WITH e
  UNWIND $returned AS q
  MATCH (l:SourceRecord {id: q.left}), (r:SourceRecord {id: q.right})
  MERGE (m:MatchCandidate {id: q.id})
  ON CREATE SET m += q.props, m.created_at = $now
  SET m.status = 'pending', m.note = q.note, m.updated_at = $now, m.returned_by = $event
  MERGE (m)-[:LEFT]->(l)
  MERGE (m)-[:RIGHT]->(r)
  RETURN count(m) AS returned }
CALL { WITH a, s
  UNWIND [a, s] AS c
  MATCH (c)-[:MEMBER_OF]-(shown:Customer)
  SET view_changed(shown)
  RETURN count(shown) AS neighbours }
RETURN e.id AS event, moved
