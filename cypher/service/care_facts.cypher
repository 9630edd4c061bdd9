// What an employee's due work reads of several customers (app/services/due_work.py), lean: the card,
// its day and the birth date, and the outbound contacts since $since that are no usage record
// ([at, mode, outcome]: the care done, and today's unanswered calls). Cases come from
// service/open_cases_of.
UNWIND $ids AS id
MATCH (c:Customer {id: id})
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:HAD_CONTACT]->(k:Contact)
  WHERE k.at >= $since AND k.direction = 'outbound' AND k.called_number IS NULL
  RETURN collect(CASE WHEN k IS NULL THEN NULL ELSE [k.at, k.mode, k.outcome] END) AS contacts
}
RETURN id, [c.vip_card, c.vip_card_since, c.birth_date] AS customer, contacts
