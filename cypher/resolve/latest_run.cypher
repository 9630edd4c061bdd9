// The most recent resolution run, with its model parameters and where it started: records changed
// after that are what `c360 resolve --changed` places (a run of an earlier release kept only its end).
MATCH (run:ResolutionRun)
RETURN run.id AS id, run.at AS at, coalesce(run.started_at, run.at) AS since, run.mode AS mode,
       run.summary AS summary, run.model AS model
ORDER BY run.at DESC
LIMIT 1
