// Steward decisions recorded at or after $since (an instant): a batch run asks before each write
// for those it has not read, to leave alone the customers a steward changed while it was linking.
MATCH (d:StewardDecision)
WHERE d.status = 'standing' AND d.decided_at >= $since
RETURN d.id AS id, d.left AS left, d.right AS right
