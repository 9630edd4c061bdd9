// Contract-test probe: a statement the backend must reject, to check error reporting.
MATCH (p:ContractProbe RETURN p
