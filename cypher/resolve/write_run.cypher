// Record one resolution run: when, what it found, and the model parameters it used
// (so that match() and incremental resolution score with the same model).
// view: unchanged (a resolution run's record)
CREATE (run:ResolutionRun {id: $id, at: $now, mode: $mode, summary: $summary, model: $model})
RETURN run.id AS id
