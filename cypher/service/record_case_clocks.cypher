// Record cases' clocks as of $at for analysts' Cypher (app/sla.py computed them; the API computes
// them again when read). $rows: [{id, open, breached, warning, next_due}]; $rules: the rules' digest.
// view: unchanged (derived properties for analysts; no customer view reads them)
UNWIND $rows AS r
MATCH (x:Case {id: r.id})
SET x.sla_open = r.open, x.sla_breached = r.breached, x.sla_warning = r.warning, x.sla_next_due = r.next_due,
    x.sla_at = $at, x.sla_rules = $rules
RETURN count(x) AS written
