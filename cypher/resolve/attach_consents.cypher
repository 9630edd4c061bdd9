// Hang a re-resolved customer's consents to marketing on it: one made through a source record it now holds (the
// consent's owner_record) leaves the active customer that lost the record (a re-resolution moved the
// record here, or left that customer empty, to be retired), as a contact does. One on a merged-away
// customer stays: a merge reads it with its survivor's, and an unmerge gives it back.
// view: unchanged (plans and consents are no part of the customer view: contactPermission and the work list read them fresh)
UNWIND $customers AS c
MATCH (x:Customer {id: c.id})
UNWIND c.records AS rid
MATCH (t:Consent {owner_record: rid})
WITH x, t
MATCH (t)<-[old:GAVE_CONSENT]-(holder:Customer)
WHERE holder <> x AND holder.status = 'active'
DELETE old
MERGE (x)-[:GAVE_CONSENT]->(t)
RETURN count(DISTINCT t) AS attached
