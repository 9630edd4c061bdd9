// The rules the derived service properties were last computed under, and when.
MATCH (n:Recomputed {id: 'service_standards'})
RETURN n.rules AS rules, n.at AS at
