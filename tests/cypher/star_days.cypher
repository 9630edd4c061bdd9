// The days the active customers' star levels were recorded as of, each once.
MATCH (c:Customer {status: 'active'})
RETURN DISTINCT c.star_as_of AS as_of
