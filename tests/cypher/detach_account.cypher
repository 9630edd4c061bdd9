// Test probe: take one account off every customer, as a release before issue 17 left an account
// ingested after its customer was resolved (attached only by a later `c360 resolve`).
MATCH (:Customer)-[held:HAS_ACCOUNT]->(:Account {id: $id})
DELETE held
RETURN count(held) AS detached
