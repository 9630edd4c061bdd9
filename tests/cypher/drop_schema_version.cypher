// Tests: take the SchemaVersion node away, so that the graph looks like one of release 0.1.0
// (Store.clear leaves a graph stamped with the current version).
MATCH (v:SchemaVersion)
DELETE v
RETURN count(*) AS dropped
