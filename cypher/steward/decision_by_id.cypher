// One steward decision by its id (node(id: "StewardDecision:...")), in force or not.
MATCH (d:StewardDecision {id: $id})
RETURN d {.*} AS decision
