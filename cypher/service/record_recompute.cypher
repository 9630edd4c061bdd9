// Note when the derived service properties were last computed and under which rules.
// view: unchanged (a note about derived properties)
MERGE (n:Recomputed {id: 'service_standards'})
WITH n, n.rules AS before
SET n.rules = $rules, n.at = $at
RETURN before
