// An opportunity's own properties and the sequence numbers of its events.
MATCH (o:Opportunity {id: $id})
OPTIONAL MATCH (o)-[:HAD_EVENT]->(e)
RETURN properties(o) AS props, collect(e.seq) AS seqs
