// Record one resolution run: when it started and ended, what it found, and the model parameters it
// used (so that match() and incremental resolution score with the same model).
// view: unchanged (a resolution run's record)
CREATE (run:ResolutionRun {id: $id, at: $now, started_at: $started_at, mode: $mode, summary: $summary, model: $model})
RETURN run.id AS id
