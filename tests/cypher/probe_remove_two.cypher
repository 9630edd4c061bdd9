// Two of the probe's properties removed in one clause: its first and its last stored.
MATCH (o:Probe)
REMOVE o.a, o.f
