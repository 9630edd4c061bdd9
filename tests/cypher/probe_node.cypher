// The one Probe node's properties (tests/integration/test_property_removals.py).
MATCH (o:Probe)
RETURN properties(o) AS props
