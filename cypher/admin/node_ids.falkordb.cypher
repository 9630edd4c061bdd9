// The id property of nodes by internal id: the embedded store checks after each bulk insert that the
// nodes got the internal ids the loader gave their relationships.
UNWIND $internal AS internal
MATCH (n)
WHERE id(n) = internal
RETURN internal, n.id AS id
