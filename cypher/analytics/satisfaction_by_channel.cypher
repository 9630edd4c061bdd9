// Purpose: Satisfaction surveys (满意度回访) by channel: of the contacts in a period with a survey
//          answer, the share of each answer, and the share satisfied (very satisfied or satisfied,
//          against the operator's targets: 95% for consultations, 90% for complaints, DOMAIN.md §6).
// Parameters: $since - contacts at or after this time (UTC, as stored)
//             $until - and before this time (UTC, as stored)
// Columns: channel, result (the survey answer), contacts (with that answer), surveyed (the channel's
//          contacts with an answer), share (contacts / surveyed), satisfied_share (the channel's)
MATCH (k:Contact)
WHERE k.at >= $since AND k.at < $until AND k.satisfaction IS NOT NULL
WITH k.channel AS channel, k.satisfaction AS result, count(k) AS contacts
WITH channel, collect({result: result, contacts: contacts}) AS answers, sum(contacts) AS surveyed
WITH channel, answers, surveyed,
     reduce(s = 0, a IN answers | s + CASE WHEN a.result IN ['very_satisfied', 'satisfied'] THEN a.contacts ELSE 0 END)
       AS satisfied
UNWIND answers AS a
RETURN channel, a.result AS result, a.contacts AS contacts, surveyed,
       round(10000.0 * a.contacts / surveyed) / 10000.0 AS share,
       round(10000.0 * satisfied / surveyed) / 10000.0 AS satisfied_share
ORDER BY channel, result
