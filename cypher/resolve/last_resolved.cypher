// Where the last resolution run of any mode started: records changed after it are what
// `c360 resolve --changed` places. A run of an earlier release kept only its end (`at`).
// With its model, which a `--changed` run records again as the one it placed with.
MATCH (run:ResolutionRun)
WITH run ORDER BY run.at DESC
LIMIT 1
RETURN coalesce(run.started_at, run.at) AS since, run.model AS model
