// The names of the indexes the database has (Neo4jStore: after a first load dropped its lookup
// indexes, a clear builds any that are missing again).
SHOW INDEXES YIELD name
RETURN name
