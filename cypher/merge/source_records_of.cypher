// The customer fields of source records, for re-deriving golden records after a merge or split.
UNWIND $ids AS rid
MATCH (s:SourceRecord {id: rid})
RETURN s.id AS id, s.source AS source, s.name AS name, s.cert_type AS cert_type, s.cert_no AS cert_no,
       s.phones AS phones, s.email AS email, s.address AS address, s.birth_date AS birth_date,
       s.gender AS gender, s.local_network AS local_network, s.segment AS segment, s.org_class AS org_class,
       s.vip_card AS vip_card, s.manager_record AS manager_record, s.updated_at AS updated_at,
       s.changed_at AS changed_at
