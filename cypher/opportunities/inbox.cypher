// An employee's open opportunities in the hand-off: routed to them, claimed by them, or covered by them
// (a phone account manager beside a core agent). Ids, newest capture first.
MATCH (:Employee {id: $employee})<-[]-(o:Opportunity)
WITH DISTINCT o
WHERE o.queue IS NOT NULL AND NOT o.stage IN ['won', 'lost']
RETURN o.id AS id, o.captured_at AS captured_at
ORDER BY captured_at DESC, id
