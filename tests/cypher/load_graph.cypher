// Tests: load a graph dumped by tests/data/dump_graph.py (a previous release's graph). Labels and
// relationship types cannot be parameters, so one statement per label (nodes) and per type with the
// labels of its ends (relationships); the test gives each statement the dump's rows it names, and fails
// when the dump holds a label or relationship this file has no statement for.
UNWIND $rows AS row CREATE (n:Account) SET n = row.properties;
UNWIND $rows AS row CREATE (n:Bill) SET n = row.properties;
UNWIND $rows AS row CREATE (n:Channel) SET n = row.properties;
UNWIND $rows AS row CREATE (n:Contact) SET n = row.properties;
UNWIND $rows AS row CREATE (n:Customer) SET n = row.properties;
UNWIND $rows AS row CREATE (n:Customer:Organisation) SET n = row.properties;
UNWIND $rows AS row CREATE (n:Employee) SET n = row.properties;
UNWIND $rows AS row CREATE (n:Household) SET n = row.properties;
UNWIND $rows AS row CREATE (n:MatchCandidate) SET n = row.properties;
UNWIND $rows AS row CREATE (n:MergeEvent) SET n = row.properties;
UNWIND $rows AS row CREATE (n:Offering) SET n = row.properties;
UNWIND $rows AS row CREATE (n:Opportunity) SET n = row.properties;
UNWIND $rows AS row CREATE (n:ResolutionRun) SET n = row.properties;
UNWIND $rows AS row CREATE (n:SourceRecord) SET n = row.properties;
UNWIND $rows AS row CREATE (n:Subscription) SET n = row.properties;
UNWIND $rows AS row MATCH (a:Contact {id: row.from}) MATCH (b:Subscription {id: row.to}) CREATE (a)-[r:ABOUT]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:MergeEvent {id: row.from}) MATCH (b:Customer {id: row.to}) CREATE (a)-[r:ABSORBED]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Employee {id: row.from}) MATCH (b:Employee {id: row.to}) CREATE (a)-[r:BACKED_UP_BY]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Subscription {id: row.from}) MATCH (b:Account {id: row.to}) CREATE (a)-[r:BILLED_TO]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Bill {id: row.from}) MATCH (b:Account {id: row.to}) CREATE (a)-[r:BILL_OF]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Opportunity {id: row.from}) MATCH (b:Channel {id: row.to}) CREATE (a)-[r:CAPTURED_BY]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Opportunity {id: row.from}) MATCH (b:Employee {id: row.to}) CREATE (a)-[r:CLAIMED_BY]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:SourceRecord {id: row.from}) MATCH (b:Account {id: row.to}) CREATE (a)-[r:DESCRIBES]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:SourceRecord {id: row.from}) MATCH (b:Bill {id: row.to}) CREATE (a)-[r:DESCRIBES]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:SourceRecord {id: row.from}) MATCH (b:Contact {id: row.to}) CREATE (a)-[r:DESCRIBES]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:SourceRecord {id: row.from}) MATCH (b:Employee {id: row.to}) CREATE (a)-[r:DESCRIBES]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:SourceRecord {id: row.from}) MATCH (b:Opportunity {id: row.to}) CREATE (a)-[r:DESCRIBES]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:SourceRecord {id: row.from}) MATCH (b:Subscription {id: row.to}) CREATE (a)-[r:DESCRIBES]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Customer {id: row.from}) MATCH (b:Contact {id: row.to}) CREATE (a)-[r:HAD_CONTACT]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Contact {id: row.from}) MATCH (b:Employee {id: row.to}) CREATE (a)-[r:HANDLED_BY]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Customer {id: row.from}) MATCH (b:Account {id: row.to}) CREATE (a)-[r:HAS_ACCOUNT]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Customer {id: row.from}) MATCH (b:Opportunity {id: row.to}) CREATE (a)-[r:HAS_OPPORTUNITY]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Customer {id: row.from}) MATCH (b:Household {id: row.to}) CREATE (a)-[r:IN_HOUSEHOLD]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:MatchCandidate {id: row.from}) MATCH (b:SourceRecord {id: row.to}) CREATE (a)-[r:LEFT]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Customer {id: row.from}) MATCH (b:Employee {id: row.to}) CREATE (a)-[r:MANAGED_BY]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Customer {id: row.from}) MATCH (b:Customer {id: row.to}) CREATE (a)-[r:MEMBER_OF]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Customer {id: row.from}) MATCH (b:Customer {id: row.to}) CREATE (a)-[r:MERGED_INTO]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Subscription {id: row.from}) MATCH (b:Offering {id: row.to}) CREATE (a)-[r:ON_OFFERING]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Customer {id: row.from}) MATCH (b:Subscription {id: row.to}) CREATE (a)-[r:OWNS]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:SourceRecord {id: row.from}) MATCH (b:Customer {id: row.to}) CREATE (a)-[r:RECORD_OF]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:MatchCandidate {id: row.from}) MATCH (b:SourceRecord {id: row.to}) CREATE (a)-[r:RIGHT]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Opportunity {id: row.from}) MATCH (b:Employee {id: row.to}) CREATE (a)-[r:ROUTED_TO]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:MergeEvent {id: row.from}) MATCH (b:Customer {id: row.to}) CREATE (a)-[r:SURVIVOR]->(b) SET r = row.properties;
UNWIND $rows AS row MATCH (a:Contact {id: row.from}) MATCH (b:Channel {id: row.to}) CREATE (a)-[r:VIA]->(b) SET r = row.properties;
