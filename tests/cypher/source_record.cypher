// Test probe: one source record's properties.
MATCH (s:SourceRecord {id: $id})
RETURN s.name AS name, s.cert_no AS cert_no, s.phones AS phones, s.email AS email, s.fields AS fields,
       s.loaded_at AS loaded_at, s.changed_at AS changed_at, s.version AS version
