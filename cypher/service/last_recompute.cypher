// The rules the derived service properties were last computed under (by a run over every customer).
MATCH (n:Recomputed {id: 'service_standards'})
RETURN n.rules AS rules
