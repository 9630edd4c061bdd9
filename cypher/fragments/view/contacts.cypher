// The customer's contacts: how many, the newest $contacts_first (plus one, so the caller can tell
// whether there is a next page), and those since $contacts_since with what the service standing reads
// of them (care and churn signals; none when the parameter is later than every contact).
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:HAD_CONTACT]->(x)
  WITH x ORDER BY x.at DESC, x.id DESC
  WITH collect(x {.*}) AS found,
       collect(CASE WHEN x.at >= $contacts_since THEN
               x {.id, .at, .kind, .mode, .direction, .outcome, .employee_record, .service_no, .called_number} END) AS recent
  RETURN size(found) AS contact_total, found[0..($contacts_first + 1)] AS contacts, recent AS recent_contacts
}
