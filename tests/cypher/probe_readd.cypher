// The probe's property $key removed and set again: it is then the last one stored.
MATCH (o:Probe)
SET o += $gone
WITH o
SET o += $back
