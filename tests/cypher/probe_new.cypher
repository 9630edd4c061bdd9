// A Probe node with the properties $props, stored in their order, the graph's other probes gone first.
OPTIONAL MATCH (old:Probe)
DELETE old
WITH count(*) AS gone
CREATE (o:Probe)
SET o = $props
