// The indexes the database has and their state (Neo4jStore: after a first load dropped its lookup
// indexes, a clear builds any that are missing or failed again).
SHOW INDEXES YIELD name, state
RETURN name, state
