// Upsert customer source records. $rows as in ingest/customers_new: one list per record, in the order
// of app.customer.INGEST_COLUMNS. Every property is replaced (a null removes it); the first load
// time and a version counter survive a change.
UNWIND $rows AS r
MERGE (s:SourceRecord {id: r[0]})
WITH r, s, coalesce(s.loaded_at, $now) AS first_loaded, coalesce(s.version, 0) + 1 AS version
SET s = {id: r[0], source: r[1], kind: r[2], source_id: r[3], content_hash: r[4], shard: r[5], fields: r[6],
         name: r[7], cert_type: r[8], cert_no: r[9], phones: r[10], email: r[11], address: r[12],
         birth_date: r[13], gender: r[14], local_network: r[15], segment: r[16], org_class: r[17],
         account_manager_id: r[18], vip_card: r[19], updated_at: r[20], identity_verified: r[21],
         notable: r[22], vip_card_since: r[23],
         manager_record: r[24], invalid_fields: r[25],
         loaded_at: first_loaded, version: version, changed_at: $now}
WITH s
CALL { WITH s
  MATCH (s)-[:RECORD_OF]->(owner:Customer)
  SET view_changed(owner)
  RETURN count(owner) AS owners }
RETURN count(s) AS written
