"""Loading the business rules (app/config/rules.toml, or C360_RULES_FILE) into typed models.

Rules are data so that a province can change a threshold without a code change; the
models reject unknown keys so a misspelt rule fails loudly at start-up.
"""

from __future__ import annotations

import logging
import tomllib
from datetime import date, time
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.customer import SURVIVORSHIP
from app.errors import ConfigError
from app.settings import get_settings
from app.vocabulary import CASE_EVENTS, CASE_KINDS, CONTACT_MODES, PRODUCT_TYPES, VIP_CARDS

log = logging.getLogger(__name__)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicyRules(Strict):
    same_name_same_certificate_merges: bool = True
    different_certificates_never_merge: bool = True
    individuals_across_local_networks_never_merge: bool = True
    organisations_across_local_networks_review_department: str = "organisation_customers"
    cross_group_requires_same_location: bool = True
    # A record whose certificate failed its check joins a customer holding a different valid one only
    # through a steward's review (app/resolution/policy.py, invalid_certificate_against_valid).
    invalid_certificate_needs_review: bool = True
    group_order: list[str]
    groups: dict[str, str]


class LevelOverride(Strict):
    m: list[float] | None = None
    u: list[float] | None = None


class ResolutionRules(Strict):
    auto_merge_probability: float = Field(gt=0, lt=1)
    review_probability: float = Field(gt=0, lt=1)
    prior_match_probability: float | None = Field(default=None, gt=0, lt=1)
    max_block_size: int = Field(gt=1)
    block_size_caps: dict[str, Annotated[int, Field(gt=1)]] = {}
    em_max_iterations: int = Field(ge=0)
    em_tolerance: float = Field(gt=0)
    u_sample_pairs: int = Field(gt=0)
    random_seed: int
    blocking_rules: list[str]
    policy: PolicyRules
    overrides: dict[str, LevelOverride] = {}

    @model_validator(mode="after")
    def _caps_name_rules_in_use(self) -> ResolutionRules:
        """A cap for a rule not in use is a misspelt one: that rule would go uncapped without a word."""
        unused = sorted(set(self.block_size_caps) - set(self.blocking_rules))
        if unused:
            raise ValueError(f"block_size_caps names {unused}, not among blocking_rules {self.blocking_rules}")
        return self


class ContactChangeRules(Strict):
    """Who may change a known customer's contact details (DOMAIN.md §5: identity is verified before
    any business): a trusted source, or a record whose holder's identity a desk verified."""

    attributes: list[str] = ["phones", "email", "address"]
    trusted_sources: list[str] = []
    verifying_sources: list[str] = []


class SurvivorshipRules(Strict):
    source_trust: list[str]
    # Strategies differing from the customer declaration's (app/customer.py), by attribute.
    overrides: dict[str, str] = {}
    contact_changes: ContactChangeRules = ContactChangeRules()

    @model_validator(mode="before")
    @classmethod
    def _from_earlier_releases(cls, data: Any) -> Any:
        """Rules files of release 0.1.0 list every attribute's strategy under ``attributes``: the ones
        that differ from the declaration are kept as overrides, so a province's choices survive."""
        if isinstance(data, dict) and "attributes" in data:
            data = dict(data)
            listed = data.pop("attributes") or {}
            changed = {k: v for k, v in listed.items() if SURVIVORSHIP.get(k) != v}
            log.warning(
                "rules: [survivorship.attributes] is read as [survivorship.overrides] %s; "
                "rename the table (CHANGELOG.md)",
                changed or "(no change)",
            )
            data["overrides"] = {**changed, **(data.get("overrides") or {})}
        return data

    @property
    def attributes(self) -> dict[str, str]:
        """Each golden attribute's strategy: the declaration's, unless overridden here."""
        return {**SURVIVORSHIP, **self.overrides}

    @model_validator(mode="after")
    def _declared(self) -> SurvivorshipRules:
        unknown = set(self.overrides) - set(SURVIVORSHIP)
        if unknown:
            raise ValueError(
                f"survivorship.overrides names {sorted(unknown)}, which are not golden attributes "
                f"taken from source records ({', '.join(SURVIVORSHIP)})"
            )
        return self


class StarRules(Strict):
    """One rule set of star levels (DOMAIN.md §4): the amounts are average monthly spend in yuan."""

    # The local networks this set is for; the set without any is the province's default.
    local_networks: list[str] = []
    two_star_spend: float = Field(ge=0)
    three_star_spend: float = Field(ge=0)
    # Four stars: customers of another brand from four_star_spend, and customers holding one of
    # four_star_brands (全球通) from four_star_brand_spend, both below the five-star line.
    four_star_spend: float = Field(ge=0)
    four_star_brands: list[str] = []
    four_star_brand_spend: float = Field(0, ge=0)
    five_star_spend: float = Field(ge=0)
    # Six stars: the previous calendar year's points from this many (or a manual flag, `notable`).
    six_star_points: int = Field(ge=0)

    @model_validator(mode="after")
    def _ascending(self) -> StarRules:
        lines = [self.two_star_spend, self.three_star_spend, self.four_star_spend, self.five_star_spend]
        if lines != sorted(lines) or not self.four_star_brand_spend <= self.five_star_spend:
            raise ValueError("star lines must not fall from two to five stars (and the brand line below five)")
        return self


class TierRules(Strict):
    # Complete calendar months before the current one whose average spend gives the level.
    months: int = Field(ge=1)
    # The one source whose points count (points come from one authoritative system).
    points_source: str = "crm"
    # A customer is near the next level (准星) within this share of what the level takes.
    near_star_share: float = Field(0.1, ge=0, le=1)
    rule_sets: dict[str, StarRules]

    @model_validator(mode="before")
    @classmethod
    def _from_earlier_releases(cls, data: Any) -> Any:
        """A rules file of the release before gives five ascending spend lines and the six-star points
        under [tiers]: they become the default rule set (without a brand condition), so a province's
        amounts survive the upgrade."""
        if isinstance(data, dict) and "star_spend_thresholds" in data and "rule_sets" not in data:
            data = dict(data)
            lines = list(data.pop("star_spend_thresholds")) + [float("inf")] * 5
            points = data.pop("six_star_points", 50000)
            log.warning("rules: [tiers] star_spend_thresholds is read as [tiers.rule_sets.default] (CHANGELOG.md)")
            data["rule_sets"] = {
                "default": {
                    "two_star_spend": lines[1],
                    "three_star_spend": lines[2],
                    "four_star_spend": lines[3],
                    "five_star_spend": lines[4],
                    "four_star_brand_spend": lines[3],
                    "six_star_points": points,
                }
            }
        return data

    @model_validator(mode="after")
    def _one_default(self) -> TierRules:
        defaults = [name for name, rule_set in self.rule_sets.items() if not rule_set.local_networks]
        if len(defaults) != 1:
            raise ValueError(f"tiers.rule_sets needs exactly one set without local_networks, has {defaults}")
        networks = [n for rule_set in self.rule_sets.values() for n in rule_set.local_networks]
        if len(networks) != len(set(networks)):
            raise ValueError("a local network is named by two tiers.rule_sets")
        return self


class Tag(Strict):
    """An identification tag (识别标签) shown beside the level, and what earns it."""

    label: str
    # key_person: a key person of an organisation; vip_card: holds a VIP card; segment: one of
    # `segments`; brand: holds a subscription of one of `brands`; notable: the manual six-star flag.
    when: Literal["key_person", "vip_card", "segment", "brand", "notable"]
    segments: list[str] = []
    brands: list[str] = []


class Entitlement(Strict):
    label: str = ""
    min_star: int = 7
    vip_cards: list[str] = []
    tags: list[str] = []


class CalendarYear(Strict):
    """One year's public holidays and make-up working days (调休) as the State Council announces them,
    for a year the chinese-calendar package does not know yet (or gets wrong): the announcement comes
    each November, often before a package release carries it."""

    holidays: list[date] = []
    # Saturdays and Sundays worked in place of a holiday.
    working_weekends: list[date] = []


class CalendarRules(Strict):
    """The Chinese working calendar (app/working_calendar.py) and the hours customers are left alone."""

    # From and to, in the operator's zone: 22:00-08:00 is not a time to disturb customers (不宜打扰).
    quiet_hours: tuple[time, time] = (time(22), time(8))
    # A year listed here is described by its lists and the Monday-Friday rule alone, even where the
    # package knows the year too.
    years: dict[int, CalendarYear] = {}

    @model_validator(mode="after")
    def _consistent(self) -> CalendarRules:
        if self.quiet_hours[0] == self.quiet_hours[1]:
            raise ValueError("calendar.quiet_hours must start and end at different times")
        for year, listed in self.years.items():
            stray = sorted(day for day in [*listed.holidays, *listed.working_weekends] if day.year != year)
            if stray:
                raise ValueError(f"calendar.years.{year} lists days of another year: {stray}")
            both = sorted(set(listed.holidays) & set(listed.working_weekends))
            if both:
                raise ValueError(f"calendar.years.{year} lists days as both holiday and working: {both}")
            weekdays = sorted(day for day in listed.working_weekends if day.weekday() < 5)
            if weekdays:
                raise ValueError(f"calendar.years.{year}.working_weekends lists weekdays: {weekdays}")
        return self


class SlaDeadline(Strict):
    """One service time limit of a case kind (DOMAIN.md §6-7), read by app/sla.py."""

    limit: int = Field(gt=0)
    unit: Literal["minutes", "hours", "working_days", "months"]
    # Whether paused/resumed events stop this clock: the work's own deadlines may pause, a reply the
    # customer is waiting for never does.
    pauses: bool
    # The clock starts when the case is opened, or at the first event of this name.
    starts: str = "opened"
    # The first of these events after the start meets the deadline.
    met_by: list[str] = []
    # The deadline does not arise when one of these events came before its start.
    unless_after: list[str] = []
    # A period the case stays open for (a follow-up), not work to do: it ends at its due, never breached.
    period: bool = False


class SlaRules(Strict):
    # A deadline not yet met warns once this share of its limit has gone.
    warning_share: float = Field(default=0.8, gt=0, le=1)
    # Events that close a case of a kind besides `closed`, which closes every case.
    closing_events: dict[str, list[str]] = {}
    # The deadlines of each case kind, by name.
    deadlines: dict[str, dict[str, SlaDeadline]] = {}

    @model_validator(mode="after")
    def _known_names(self) -> SlaRules:
        kinds = set(self.deadlines) | set(self.closing_events)
        if not kinds <= set(CASE_KINDS):
            raise ValueError(f"sla names case kinds {sorted(kinds - set(CASE_KINDS))} not in {CASE_KINDS}")
        named = {event for events in self.closing_events.values() for event in events}
        for deadlines in self.deadlines.values():
            for deadline in deadlines.values():
                named |= {*deadline.met_by, *deadline.unless_after} | ({deadline.starts} - {"opened"})
                if not deadline.met_by and not deadline.period:
                    raise ValueError("an sla deadline that is not a period needs met_by")
        if not named <= set(CASE_EVENTS):
            raise ValueError(f"sla names events {sorted(named - set(CASE_EVENTS))} not in {CASE_EVENTS}")
        return self


class CardCare(Strict):
    """One VIP card's column of the care table (DOMAIN.md §6); months are calendar months."""

    first_visit_months: int = Field(ge=1)
    # A call within this many days of the card stands for the first visit (silver's mailed card); 0: none.
    first_call_days: int = Field(default=0, ge=0)
    # Regular care: a visit and a call every this many months; 0: the card has no such contact.
    visit_every_months: int = Field(ge=0)
    call_every_months: int = Field(default=0, ge=0)
    new_service_working_days: int = Field(ge=1)
    new_service_modes: list[str]
    trial_months: int = Field(ge=1)
    birthday_gift: str = ""

    @model_validator(mode="after")
    def _known_modes(self) -> CardCare:
        if not set(self.new_service_modes) <= set(CONTACT_MODES):
            raise ValueError(f"new_service_modes must be among {CONTACT_MODES}")
        return self


class CareRules(Strict):
    """The VIP care schedule (app/care_schedule.py); a card missing here has no schedule."""

    cards: dict[str, CardCare] = {}
    birthday_reminder_days: int = Field(default=3, ge=0)
    # Where a 29 February birthday falls in other years: the last day of February or 1 March.
    leap_day_birthday: Literal["02-28", "03-01"] = "02-28"
    # A visit also keeps the call schedule (and the birthday call) if true.
    visit_counts_as_call: bool = True
    unreachable_attempts: int = Field(default=3, ge=1)
    retry_gap_minutes: int = Field(default=60, ge=1)
    # The months before today over which `c360 recompute` counts care done on time, for analysts.
    compliance_months: int = Field(default=12, ge=1)

    @model_validator(mode="after")
    def _known_cards(self) -> CareRules:
        if not set(self.cards) <= set(VIP_CARDS):
            raise ValueError(f"care.cards names cards {sorted(set(self.cards) - set(VIP_CARDS))} not in {VIP_CARDS}")
        return self


class LifecycleRules(Strict):
    """Lifecycle stages (app/lifecycle.py): the first rule in `order` that decides gives the stage."""

    order: list[Literal["churn_warning", "joining", "spend_trend"]] = ["churn_warning", "joining", "spend_trend"]
    joining_months: int = Field(default=3, ge=0)
    # The last trend_months complete months against the trend_months before them, in percent.
    trend_months: int = Field(default=3, ge=1)
    growth_percent: int = Field(default=110, ge=100)
    decline_percent: int = Field(default=80, ge=0, le=100)


class SpendDropRule(Strict):
    enabled: bool = True
    # The last complete month against the average of the `months` complete months before it.
    months: int = Field(default=3, ge=1)
    drop_percent: int = Field(default=30, gt=0, le=100)
    # Below this average (yuan) a drop is too small to mean anything.
    min_average: float = Field(default=10, ge=0)


class CompetitorHotlineRule(Strict):
    enabled: bool = True
    # Other operators' hotlines; the operator's own number does not belong here.
    numbers: list[str] = []
    days: int = Field(default=30, ge=1)
    min_calls: int = Field(default=1, ge=1)


class FaultReportRule(Strict):
    enabled: bool = True
    product_types: list[str] = ["broadband"]
    min_reports: int = Field(default=3, ge=1)
    days: int = Field(default=30, ge=1)

    @model_validator(mode="after")
    def _known_products(self) -> FaultReportRule:
        if not set(self.product_types) <= set(PRODUCT_TYPES):
            raise ValueError(f"product_types must be among {PRODUCT_TYPES}")
        return self


class ContractExpiryRule(Strict):
    enabled: bool = True
    days: int = Field(default=30, ge=0)


class ChurnRules(Strict):
    """Churn warnings (app/churn.py), each a signal of DOMAIN.md §7 that the data holds."""

    spend_drop: SpendDropRule = SpendDropRule()
    competitor_hotline: CompetitorHotlineRule = CompetitorHotlineRule()
    repeated_faults: FaultReportRule = FaultReportRule()
    contract_expiry: ContractExpiryRule = ContractExpiryRule()


class ContactConfirmationRules(Strict):
    """The check a channel makes before confirming a suspected duplicate (app/contact_confirmation.py)."""

    high_probability: float = Field(default=0.85, gt=0, le=1)
    recent_change_days: int = Field(default=30, ge=0)


class TimeLimit(Strict):
    """A time allowed for a step: plain hours, or to the end of the n-th working day after the start's
    day on the Chinese working calendar (app/working_calendar.py)."""

    limit: int = Field(gt=0)
    unit: Literal["hours", "working_days"]


class OpportunityRules(Strict):
    """The hand-off of opportunities between channels (DOMAIN.md §8, app/opportunity_routing.py)."""

    # The routing rules in the order they are tried; the first that finds a receiver takes the
    # opportunity. The operations centre takes what the others cannot, so it comes last.
    routing: list[Literal["account_manager", "core_agent", "operations_centre"]] = [
        "account_manager",
        "core_agent",
        "operations_centre",
    ]
    # An opportunity handed over (or waiting for dispatch) and not claimed by then is escalated.
    claim_within: TimeLimit = TimeLimit(limit=1, unit="working_days")
    # A claimed opportunity with no step since for this long is stalled, and escalated.
    stall_after: TimeLimit = TimeLimit(limit=5, unit="working_days")
    # The call-back after a won sale (售后回访) is due within this.
    call_back_within: TimeLimit = TimeLimit(limit=2, unit="working_days")

    @model_validator(mode="after")
    def _ends_at_the_operations_centre(self) -> OpportunityRules:
        if len(set(self.routing)) != len(self.routing) or self.routing[-1:] != ["operations_centre"]:
            raise ValueError("opportunities.routing names each rule once and ends with operations_centre")
        return self


class ContactRules(Strict):
    """No repeated disturbance (不重复打扰, DOMAIN.md §1, §6, §9; app/contact_permission.py): outbound
    marketing touches of every channel on one customer, counted on the operator's calendar days."""

    # At most this many on one day, on any 7 and on any 30 consecutive days (the day itself and the
    # days before it), planned touches included.
    daily_cap: int = Field(default=1, ge=1)
    seven_day_cap: int = Field(default=2, ge=1)
    thirty_day_cap: int = Field(default=4, ge=1)
    # Marketing waits for a recorded consent (DOMAIN.md §9); false: only a withdrawal stops it.
    consent_required: bool = True
    # A consent or its withdrawal is kept at least this many calendar months from when it was given.
    consent_kept_months: int = Field(default=5, ge=5)
    # Only one channel plans marketing with a customer in one calendar week (Monday to Sunday).
    one_channel_a_week: bool = True
    # A touch is asked about or planned at most this many days after now (and at earliest in 1900).
    plan_horizon_days: int = Field(default=366, ge=1)

    @model_validator(mode="after")
    def _windows_nest(self) -> ContactRules:
        if not self.daily_cap <= self.seven_day_cap <= self.thirty_day_cap:
            raise ValueError("contact_rules caps must not fall from a day to 7 days to 30 days")
        return self


class Rules(Strict):
    resolution: ResolutionRules
    survivorship: SurvivorshipRules
    tiers: TierRules
    tags: dict[str, Tag] = {}
    entitlements: dict[str, Entitlement]
    calendar: CalendarRules = CalendarRules()
    sla: SlaRules = SlaRules()
    care: CareRules = CareRules()
    lifecycle: LifecycleRules = LifecycleRules()
    churn: ChurnRules = ChurnRules()
    opportunities: OpportunityRules = OpportunityRules()
    contact_confirmation: ContactConfirmationRules = ContactConfirmationRules()
    contact_rules: ContactRules = ContactRules()


def load_rules(path: Path | None = None) -> Rules:
    try:
        if path is None:
            text = resources.files("app").joinpath("config/rules.toml").read_text(encoding="utf-8")
            where = "app/config/rules.toml"
        else:
            text, where = path.read_text(encoding="utf-8"), str(path)
        rules = Rules.model_validate(tomllib.loads(text))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"rules file {path or 'app/config/rules.toml'}: {exc}") from exc
    if rules.resolution.review_probability >= rules.resolution.auto_merge_probability:
        raise ConfigError(f"{where}: review_probability must be below auto_merge_probability")
    return rules


@lru_cache(maxsize=1)
def get_rules() -> Rules:
    return load_rules(get_settings().rules_file)
