// Purpose: No repeated disturbance (不重复打扰): outbound marketing touches by channel in a period and
//          those that broke a rule (recorded all the same by recordContact, flagged in violations;
//          app/contact_permission.py, rules.toml [contact_rules]), with how many broke each rule.
// Parameters: $since - touches at or after this time (UTC, as stored)
//             $until - and before this time (UTC, as stored)
// Columns: channel, marketing (outbound marketing touches), violating (of them, breaking a rule),
//          rate (violating / marketing), daily_cap, seven_day_cap, thirty_day_cap, quiet_hours,
//          opted_out, no_consent (touches breaking each rule; one touch can break several)
MATCH (k:Contact)
WHERE k.at >= $since AND k.at < $until AND k.purpose = 'marketing' AND coalesce(k.direction, 'outbound') <> 'inbound'
WITH k.channel AS channel, coalesce(k.violations, []) AS broken
WITH channel, count(*) AS marketing,
     sum(CASE WHEN size(broken) > 0 THEN 1 ELSE 0 END) AS violating,
     sum(CASE WHEN 'daily_cap' IN broken THEN 1 ELSE 0 END) AS daily_cap,
     sum(CASE WHEN 'seven_day_cap' IN broken THEN 1 ELSE 0 END) AS seven_day_cap,
     sum(CASE WHEN 'thirty_day_cap' IN broken THEN 1 ELSE 0 END) AS thirty_day_cap,
     sum(CASE WHEN 'quiet_hours' IN broken THEN 1 ELSE 0 END) AS quiet_hours,
     sum(CASE WHEN 'opted_out' IN broken THEN 1 ELSE 0 END) AS opted_out,
     sum(CASE WHEN 'no_consent' IN broken THEN 1 ELSE 0 END) AS no_consent
RETURN channel, marketing, violating, round(10000.0 * violating / marketing) / 10000.0 AS rate,
       daily_cap, seven_day_cap, thirty_day_cap, quiet_hours, opted_out, no_consent
ORDER BY channel
