// FalkorDB unique constraints, one 'Label property' pair a line (created with GRAPH.CONSTRAINT,
// which FalkorDB exposes as a command rather than Cypher).
Customer id;
SourceRecord id;
Account id;
Subscription id;
Offering id;
Contact id;
Channel id;
Opportunity id;
Employee id;
Household id;
MergeEvent id;
MatchCandidate id;
StewardDecision id;
ResolutionRun id;
Bill id;
SchemaVersion id;
Points id;
Case id;
CaseEvent id;
TierChange id;
ContactPlan id;
Consent id;
