// The most recent resolution run, with its model parameters.
MATCH (run:ResolutionRun)
RETURN run.id AS id, run.at AS at, run.mode AS mode, run.summary AS summary, run.model AS model
ORDER BY run.at DESC
LIMIT 1
