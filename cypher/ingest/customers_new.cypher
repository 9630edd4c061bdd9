// Create customer source records that the ingest found absent (cheaper than MERGE, which must look
// each one up first). $rows: one list per record, its properties in the order of
// app.customer.INGEST_COLUMNS (a test holds the two together): a list is a third less parameter
// text than a map, for the store to parse and for Python to write. A null leaves the property out.
// The unique constraint on SourceRecord.id makes a race with another writer fail the whole statement;
// the ingest then repeats the batch as an upsert.
// view: unchanged (new source records belong to no customer until resolution links them)
UNWIND $rows AS r
CREATE (s:SourceRecord {id: r[0], source: r[1], kind: r[2], source_id: r[3], content_hash: r[4],
                        shard: r[5], fields: r[6], name: r[7], cert_type: r[8], cert_no: r[9], phones: r[10],
                        email: r[11], address: r[12], birth_date: r[13], gender: r[14], local_network: r[15],
                        segment: r[16], org_class: r[17], account_manager_id: r[18], vip_card: r[19],
                        updated_at: r[20], identity_verified: r[21], notable: r[22], vip_card_since: r[23],
                        manager_record: r[24], invalid_fields: r[25],
                        loaded_at: $now, version: 1, changed_at: $now})
RETURN count(s) AS written
