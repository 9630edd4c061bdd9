// Everything a merge, unmerge or split needs to know about customers before it writes:
// status, version, and the ids at the other end of each relationship that would move.
UNWIND $ids AS wanted
MATCH (c:Customer {id: wanted})
CALL { WITH c OPTIONAL MATCH (c)<-[:RECORD_OF]-(x:SourceRecord) RETURN collect(x.id) AS records }
CALL { WITH c OPTIONAL MATCH (c)-[:HAS_ACCOUNT]->(x:Account) RETURN collect(x.id) AS accounts }
CALL { WITH c OPTIONAL MATCH (c)-[:OWNS]->(x:Subscription) RETURN collect(x.id) AS subscriptions }
CALL { WITH c OPTIONAL MATCH (c)-[:HAD_CONTACT]->(x:Contact) RETURN collect(x.id) AS contacts }
CALL { WITH c OPTIONAL MATCH (c)-[:HAS_OPPORTUNITY]->(x:Opportunity) RETURN collect(x.id) AS opportunities }
CALL { WITH c OPTIONAL MATCH (c)-[:HAS_CASE]->(x:Case) RETURN collect(x.id) AS cases }
CALL { WITH c OPTIONAL MATCH (c)-[:MANAGED_BY]->(x:Employee) RETURN collect(x.id) AS managers }
CALL { WITH c OPTIONAL MATCH (c)-[:MEMBER_OF]->(x:Customer) RETURN collect(x.id) AS member_of }
CALL { WITH c OPTIONAL MATCH (c)<-[:MEMBER_OF]-(x:Customer) RETURN collect(x.id) AS members }
CALL { WITH c OPTIONAL MATCH (c)-[:IN_HOUSEHOLD]->(x:Household) RETURN collect(x.id) AS households }
RETURN c.id AS id, c.status AS status, c.version AS version, c.merged_into AS merged_into,
       records, accounts, subscriptions, contacts, opportunities, cases, managers, member_of, members, households
