// Contract-test probe: read back what put_probe wrote.
MATCH (p:ContractProbe)
WHERE p.id IN $ids
RETURN p.id AS id, p.value AS value, p.tags AS tags, p {.*} AS props
ORDER BY id
