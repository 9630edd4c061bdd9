// What the service standards read of several customers (app/services/service_view.py), one row each:
// the customer, its contacts since $contacts_since (care, churn signals), subscriptions (contract
// expiry, brands), the days its accounts opened (tenure), its bills of $since_month..$until_month by
// account and month, and its cases that no event in $closing has closed, each
// [id, kind, channel, opened_at, employee_record, summary, events], each event
// [id, event, at, employee_record, reason].
// Far ends carry no label where the relationship type says what they are (docs/graph-model.md).
UNWIND $ids AS id
MATCH (c:Customer {id: id})
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:HAD_CONTACT]->(k)
  WHERE k.at >= $contacts_since
  RETURN collect(CASE WHEN k IS NULL THEN NULL ELSE
                 k {.id, .at, .kind, .mode, .direction, .outcome, .employee_record, .service_no, .called_number} END) AS contacts
}
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:OWNS]->(s)
  RETURN collect(CASE WHEN s IS NULL THEN NULL ELSE
                 s {.service_no, .product_type, .status, .start_date, .end_date} END) AS subscriptions
}
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:HAS_ACCOUNT]->(a)
  RETURN collect(a.opened_at) AS opened
}
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:HAS_ACCOUNT]->()<-[:BILL_OF]-(b)
  WHERE b.month >= $since_month AND b.month <= $until_month
  RETURN collect(CASE WHEN b IS NULL THEN NULL ELSE {month: b.month, amount: b.amount} END) AS bills
}
CALL {
  WITH c
  MATCH (c)-[:HAS_CASE]->(x)
  OPTIONAL MATCH (x)<-[:EVENT_OF]-(e)
  WITH x, collect(CASE WHEN e IS NULL THEN NULL ELSE [e.id, e.event, e.at, e.employee_record, e.reason] END) AS events
  WHERE NONE(e IN events WHERE e[1] IN $closing)
  RETURN collect([x.id, x.kind, x.channel, x.opened_at, x.employee_record, x.summary, events]) AS cases
}
RETURN id, c {.id, .name, .vip_card, .vip_card_since, .birth_date, .local_network, .segment} AS customer,
       contacts, subscriptions, opened, bills, cases
