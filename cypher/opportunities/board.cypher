// The open opportunities in the hand-off, for the operations centre's board (which keeps the unassigned,
// the returned and the escalated). Ids, newest capture first.
MATCH (o:Opportunity)
WHERE o.queue IS NOT NULL AND o.stage IN ['captured', 'handed_over', 'claimed', 'returned']
RETURN o.id AS id, o.captured_at AS captured_at
ORDER BY captured_at DESC, id
