// Tests: a batched statement as a migration writes one (app/store/migrations.py): at most $batch
// nodes not yet changed, how many as `changed`; run again until it changes fewer than $batch.
MATCH (n:Channel)
WHERE n.migrated IS NULL
WITH n LIMIT $batch
SET n.migrated = $version
RETURN count(n) AS changed
