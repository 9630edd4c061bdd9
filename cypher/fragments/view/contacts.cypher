// The customer's contacts: how many, the newest $contacts_first (plus one, so the caller can tell
// whether there is a next page), and those since $contacts_since beyond that page with what the service
// standing reads of them (care and churn signals; none when the parameter is later than every contact).
// The page's own recent contacts are not sent twice: the caller takes them from the page.
CALL {
  WITH live
  OPTIONAL MATCH (live)-[:HAD_CONTACT]->(x)
  WITH x ORDER BY x.at DESC, x.id DESC
  WITH collect(x {.*}) AS found,
       collect(CASE WHEN x.at >= $contacts_since THEN
               x {.id, .at, .kind, .mode, .direction, .outcome, .employee_record, .service_no, .called_number} END) AS recent
  WITH found, found[0..($contacts_first + 1)] AS page, recent
  RETURN size(found) AS contact_total, page AS contacts,
         recent[size([k IN page WHERE k.at >= $contacts_since])..] AS recent_beyond_page
}
