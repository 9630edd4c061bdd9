// Contract-test probe: upsert nodes of a throwaway label from a list of maps.
UNWIND $rows AS row
MERGE (p:ContractProbe {id: row.id})
SET p.value = row.value, p.tags = row.tags
RETURN count(p) AS written
