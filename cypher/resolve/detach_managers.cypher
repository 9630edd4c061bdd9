// Customers whose records name no account manager lose any manager they had (and get a new
// version when they do). $ids: customer ids. Most customers have none: one lookup and no write each.
UNWIND $ids AS id
MATCH (x:Customer {id: id})-[old:MANAGED_BY]->(:Employee)
DELETE old
WITH DISTINCT x
SET view_changed(x)
RETURN count(x) AS detached
