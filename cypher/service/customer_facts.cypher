// What the service standards read of several customers (app/services/service_view.py), one row each:
// the customer, its contacts since $contacts_since (care, churn signals), subscriptions (contract
// expiry, brands), the days its accounts opened (tenure), its bills of $since_month..$until_month by
// account and month. Its open cases come from service/open_cases_of.
UNWIND $ids AS id
MATCH (c:Customer {id: id})
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:HAD_CONTACT]->(k:Contact)
  WHERE k.at >= $contacts_since
  RETURN collect(CASE WHEN k IS NULL THEN NULL ELSE
                 k {.at, .kind, .mode, .direction, .outcome, .employee_record, .service_no, .called_number} END) AS contacts
}
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:OWNS]->(s:Subscription)
  RETURN collect(CASE WHEN s IS NULL THEN NULL ELSE
                 s {.service_no, .product_type, .status, .start_date, .end_date} END) AS subscriptions
}
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:HAS_ACCOUNT]->(a:Account)
  RETURN collect(a.opened_at) AS opened
}
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:HAS_ACCOUNT]->(:Account)<-[:BILL_OF]-(b:Bill)
  WHERE b.month >= $since_month AND b.month <= $until_month
  RETURN collect(CASE WHEN b IS NULL THEN NULL ELSE {month: b.month, amount: b.amount} END) AS bills
}
RETURN id, c {.id, .name, .vip_card, .vip_card_since, .birth_date, .local_network, .segment} AS customer,
       contacts, subscriptions, opened, bills
