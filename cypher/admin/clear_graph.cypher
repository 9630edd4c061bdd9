// Delete every node and relationship (indexes stay). Used by `c360 store reset` and the tests.
MATCH (n) DETACH DELETE n
