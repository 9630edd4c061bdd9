// Purpose: SLA breach rates (服务时限) by channel and case kind for cases opened in a period, from the
//          clocks `c360 recompute` recorded (app/sla.py; run it first, it notes when it ran in sla_at).
// Parameters: $since - cases opened at or after this time (UTC, as stored)
//             $until - and before this time (UTC, as stored)
// Columns: channel, kind, cases, breached, warning (open and near a deadline), open, rate (breached / cases)
MATCH (x:Case)
WHERE x.opened_at >= $since AND x.opened_at < $until AND x.sla_at IS NOT NULL
WITH x.channel AS channel, x.kind AS kind, count(x) AS cases,
     sum(CASE WHEN x.sla_breached THEN 1 ELSE 0 END) AS breached,
     sum(CASE WHEN x.sla_warning THEN 1 ELSE 0 END) AS warning,
     sum(CASE WHEN x.sla_open THEN 1 ELSE 0 END) AS open
RETURN channel, kind, cases, breached, warning, open, round(10000.0 * breached / cases) / 10000.0 AS rate
ORDER BY channel, kind
