"""No repeated disturbance (不重复打扰, DOMAIN.md §1, §6, §9): may a channel touch a customer now, and
if not, why and from when. One pure function of the customer's touches (made and planned, every
channel, a merged customer's histories joined), its consents, the rules (rules.toml [contact_rules]),
the quiet hours and an instant, so the answer to a desk, the refusal of a plan and the violation
flagged on a touch made anyway can never disagree.

Caps count calendar days in the operator's zone (Beijing): a touch on day D must leave at most
``daily_cap`` touches on D, and at most ``seven_day_cap`` (``thirty_day_cap``) on every run of 7 (30)
consecutive days that holds D, so a touch planned for next week counts against this week's too.
Only outbound marketing touches count and only they are held back: service (replies to the customer,
work with a time limit) never is, and a touch whose purpose nobody gave is not counted as marketing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from app.rules import ContactRules
from app.working_calendar import QuietHours

MARKETING = "marketing"
INBOUND = "inbound"
# How far ahead nextAllowedAt is sought: past every window, so a free day is always found within it.
SEARCH_DAYS = 400


@dataclass(frozen=True)
class Touch:
    """A touch with the customer, made (a contact) or planned (on the contact work list)."""

    at: datetime
    channel: str
    purpose: str | None
    direction: str | None = "outbound"
    planned: bool = False
    id: str = ""

    @property
    def counted(self) -> bool:
        """Outbound marketing: a touch of unknown direction counts, one the customer started does not."""
        return self.purpose == MARKETING and self.direction != INBOUND


@dataclass(frozen=True)
class Consent:
    """A consent to marketing (granted) or its withdrawal (an opt-out), for all marketing or one
    mode or channel, given at ``at``."""

    at: datetime
    granted: bool
    mode: str | None = None
    channel: str | None = None

    def covers(self, channel: str, mode: str | None) -> bool:
        """A withdrawal of one mode holds when the mode is not said (the safe side); a grant of one
        mode only for that mode."""
        if self.channel is not None and self.channel != channel:
            return False
        if self.mode is None or self.mode == mode:
            return True
        return mode is None and not self.granted


@dataclass(frozen=True)
class Ask:
    """The touch in question: ``planning`` is false for a touch already made (a plan by another
    channel the same week stops planning, it does not make a made touch a violation)."""

    channel: str
    purpose: str
    at: datetime
    mode: str | None = None
    planning: bool = True


@dataclass(frozen=True)
class Reason:
    # app/vocabulary.CONTACT_RULES
    rule: str
    message: str


@dataclass(frozen=True)
class Permission:
    allowed: bool
    reasons: tuple[Reason, ...]
    # The earliest instant every rule allows (``at`` itself when allowed); None when only a new
    # consent can allow it.
    next_allowed_at: datetime | None


def permission(
    ask: Ask, touches: Iterable[Touch], consents: Sequence[Consent], rules: ContactRules, quiet: QuietHours
) -> Permission:
    if ask.purpose != MARKETING:
        return Permission(True, (), ask.at)
    zone = quiet.zone
    counted = [t for t in touches if t.counted]
    days = Counter(_day(t.at, zone) for t in counted)
    others = [t for t in counted if t.planned and t.channel != ask.channel] if ask.planning else []
    if not rules.one_channel_a_week:
        others = []
    day = _day(ask.at, zone)
    reasons = [*_consent(ask, consents, rules, zone), *_caps(day, days, rules)]
    if quiet.contains(ask.at):
        start, end = (f"{t:%H:%M}" for t in (quiet.start, quiet.end))
        reasons.append(Reason("quiet_hours", f"{_local(ask.at, zone)} is within the quiet hours {start}-{end}"))
    reasons.extend(_week(day, others, zone))
    if not reasons:
        return Permission(True, (), ask.at)
    if any(r.rule in ("opted_out", "no_consent") for r in reasons):
        return Permission(False, tuple(reasons), None)
    return Permission(False, tuple(reasons), _next_allowed(ask.at, days, others, rules, quiet))


def _day(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


def _local(moment: datetime, zone: tzinfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def _consent(ask: Ask, consents: Sequence[Consent], rules: ContactRules, zone: tzinfo) -> list[Reason]:
    """The latest record covering the touch decides (a withdrawal wins a tie)."""
    covering = [c for c in consents if c.at <= ask.at and c.covers(ask.channel, ask.mode)]
    latest = max(covering, key=lambda c: (c.at, not c.granted), default=None)
    if latest is not None and not latest.granted:
        scope = " ".join(x for x in (latest.mode, latest.channel) if x) or "all"
        return [Reason("opted_out", f"the customer opted out of marketing ({scope}) on {_local(latest.at, zone)}")]
    if latest is None and rules.consent_required:
        return [Reason("no_consent", "no consent to marketing is recorded for the customer")]
    return []


def _window(days: Counter[date], end: date, length: int) -> int:
    return sum(days[end - timedelta(days=i)] for i in range(length))


def _caps(day: date, days: Counter[date], rules: ContactRules) -> list[Reason]:
    reasons = []
    if days[day] + 1 > rules.daily_cap:
        reasons.append(
            Reason("daily_cap", f"{days[day]} marketing touch(es) already on {day} (at most {rules.daily_cap} a day)")
        )
    for rule, length, cap in (("seven_day_cap", 7, rules.seven_day_cap), ("thirty_day_cap", 30, rules.thirty_day_cap)):
        for offset in range(length):
            end = day + timedelta(days=offset)
            held = _window(days, end, length)
            if held + 1 > cap:
                start = end - timedelta(days=length - 1)
                held_text = f"{held} marketing touch(es) already from {start} to {end}"
                reasons.append(Reason(rule, f"{held_text} (at most {cap} in {length} days)"))
                break
    return reasons


def _week(day: date, others: list[Touch], zone: tzinfo) -> list[Reason]:
    monday = day - timedelta(days=day.weekday())
    same = sorted((t for t in others if monday <= _day(t.at, zone) < monday + timedelta(days=7)), key=lambda t: t.at)
    return [
        Reason(
            "planned_by_other_channel",
            f"{t.channel} already planned a marketing touch for {_local(t.at, zone)} (the week of {monday})",
        )
        for t in same[:1]
    ]


def _next_allowed(
    at: datetime, days: Counter[date], others: list[Touch], rules: ContactRules, quiet: QuietHours
) -> datetime | None:
    zone = quiet.zone
    moment = at
    for _ in range(SEARCH_DAYS):
        moment = quiet.next_outside(moment)
        day = _day(moment, zone)
        if not _caps(day, days, rules) and not _week(day, others, zone):
            return moment
        moment = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(at.tzinfo)
    return None
