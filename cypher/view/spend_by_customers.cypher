// Monthly billed amount of several customers since a month (for star levels).
UNWIND $ids AS id
MATCH (c:Customer {id: id})-[:HAS_ACCOUNT]->(:Account)<-[:BILL_OF]-(b:Bill)
WHERE b.month >= $since
RETURN id, b.month AS month, sum(b.amount) AS amount
