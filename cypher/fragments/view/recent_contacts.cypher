// The customer's contacts since $contacts_since with what the service standing reads of them, for a
// view that shows no contact page (with one, the contacts part reads both at once).
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:HAD_CONTACT]->(x)
  WHERE x.at >= $contacts_since
  RETURN collect(CASE WHEN x IS NULL THEN NULL ELSE
                 x {.id, .at, .kind, .mode, .direction, .outcome, .employee_record, .service_no, .called_number} END)
         AS recent_contacts
}
