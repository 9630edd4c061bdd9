// A golden record written onto the probe as the merge statements write one onto a customer.
MATCH (o:Probe)
SET o += $kept
FOREACH (gone IN $cleared + [{lock: null}] | SET o += gone)
