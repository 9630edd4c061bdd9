// What a batch run needs to leave a live customer untouched: the digest of what the last run wrote
// (resolve/write_customers: golden record, manager, records and why), and whether its holdings have
// followed its records since (resolve/holdings_attached). A customer no run of this release wrote
// has neither, and is written and re-attached.
MATCH (x:Customer {status: 'active'})
RETURN x.id AS id, x.golden_digest AS digest, x.holdings_attached IS NOT NULL AS attached
