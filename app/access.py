"""Roles, masking and the audit of personal-data reads.

Which role sees which personal field in full, masked, or not at all is data
(app/config/access.toml); the keys that name a caller's role are app/api_keys.py's.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from app import clock
from app.audit_trail import AuditTrail
from app.customer import PERSONAL_BY_KEY, PERSONAL_FIELDS
from app.errors import C360Error, ConfigError
from app.fields import PHONE_SEPARATORS
from app.record_kinds import KINDS
from app.resolution.normalise import region_length
from app.vocabulary import CERT_TYPES

Visibility = Literal["full", "masked", "denied"]


class Forbidden(C360Error):
    code = "FORBIDDEN"
    status = 403


class Unauthenticated(C360Error):
    code = "UNAUTHENTICATED"
    status = 401


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Mask(_Strict):
    """Shows ``keep_start`` leading and ``keep_end`` trailing characters and a star for each other one,
    so a masked value is as long as the value; where that would show ``max_share`` of its characters or
    more, it is all stars. ``part`` narrows it: an e-mail masks its name and shows its domain; an
    address keeps its province and city (however long they are) instead of ``keep_start``."""

    keep_start: int = Field(0, ge=0)
    keep_end: int = Field(0, ge=0)
    max_share: float = Field(gt=0, lt=1)
    part: Literal["whole", "email_name", "province_and_city"] = "whole"


class Role(_Strict):
    kind: Literal["channel", "steward", "analyst", "manager", "admin"]
    channel: str | None = None
    personal: dict[str, Visibility]
    capabilities: list[str]
    # Departments whose merge decisions this role makes (organisations across local networks).
    departments: list[str] = []
    # Keys bound to an employee who acts only for their own customers (DOMAIN.md §5): the role whose
    # view they get of every other customer, where they may not act either.
    outside_own_customers: str | None = None


_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
_WINDOW_MS = {"second": 1_000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000}


def _rates(value: object) -> object:
    """access.toml's "20/second", "600/minute" as (count, window in milliseconds)."""
    if not isinstance(value, list):
        return value
    rates = []
    for text in value:
        if not isinstance(text, str):
            rates.append(text)
            continue
        found = _RATE.match(text)
        if found is None:
            raise ValueError(f"{text!r} is not a rate such as '20/second' (per second, minute, hour or day)")
        rates.append((int(found[1]), _WINDOW_MS[found[2]]))
    return rates


Rates = Annotated[list[tuple[int, int]], BeforeValidator(_rates)]


class RateLimit(_Strict):
    """A role's limits per caller (its employee where the key is bound to one, else its key): every
    request, and the lookups by certificate or number that found nothing (misses), limited tighter."""

    requests: Rates
    misses: Rates


class QueryLimit(_Strict):
    """What one operation may ask for (schema/limits.py applies them): its depth (fields nested below
    its root field), its aliases, and its cost (each field once per item of the pages above it). A
    role's table may give some of them; the others are the default's."""

    depth: int | None = Field(None, ge=1)
    aliases: int | None = Field(None, ge=0)
    cost: int | None = Field(None, ge=1)


# The table of [query_limits] that holds for every role without its own values.
DEFAULT_LIMITS = "default"


class AccessPolicy(_Strict):
    # One mask per personal field; a certificate's by its type where certificate_masks names the type.
    masks: dict[str, Mask]
    certificate_masks: dict[str, Mask] = {}
    roles: dict[str, Role]
    # By role; every role has its own (app/api/rate_limits.py applies them).
    rate_limits: dict[str, RateLimit]
    # By role, and the default (every value set) for the roles and values not named.
    query_limits: dict[str, QueryLimit]

    @model_validator(mode="after")
    def _every_role_limited(self) -> AccessPolicy:
        if set(self.rate_limits) != set(self.roles):
            raise ValueError(f"[rate_limits] must name each role once: {sorted(self.roles)}")
        default = self.query_limits.get(DEFAULT_LIMITS)
        if default is None or None in (default.depth, default.aliases, default.cost):
            raise ValueError(f"[query_limits.{DEFAULT_LIMITS}] must give depth, aliases and cost")
        unknown = set(self.query_limits) - set(self.roles) - {DEFAULT_LIMITS}
        if unknown:
            raise ValueError(f"[query_limits] names no role: {sorted(unknown)}")
        return self

    def query_limit(self, role: str) -> QueryLimit:
        """The role's limits, every value set: its own where it gives one, else the default's."""
        default = self.query_limits[DEFAULT_LIMITS]
        own = self.query_limits.get(role)
        if own is None:
            return default
        return QueryLimit(
            depth=default.depth if own.depth is None else own.depth,
            aliases=default.aliases if own.aliases is None else own.aliases,
            cost=default.cost if own.cost is None else own.cost,
        )

    def mask_of(self, personal_field: str, cert_type: str | None = None) -> Mask:
        if personal_field == "certificate" and cert_type in self.certificate_masks:
            return self.certificate_masks[cert_type]
        return self.masks[personal_field]


@lru_cache(maxsize=1)
def access_policy() -> AccessPolicy:
    text = resources.files("app").joinpath("config/access.toml").read_text(encoding="utf-8")
    try:
        policy = AccessPolicy.model_validate(tomllib.loads(text))
    except ValidationError as exc:
        raise ConfigError(f"app/config/access.toml: {exc}") from exc
    if set(policy.masks) != set(PERSONAL_FIELDS):
        raise ConfigError(f"app/config/access.toml: [masks] must have one mask for each of {list(PERSONAL_FIELDS)}")
    if not set(policy.certificate_masks) <= set(CERT_TYPES):
        raise ConfigError(f"app/config/access.toml: [certificate_masks] names a type not in {list(CERT_TYPES)}")
    for name, role in policy.roles.items():
        outside = policy.roles.get(role.outside_own_customers or name)
        if outside is None or outside.outside_own_customers is not None and outside is not role:
            raise ConfigError(
                f"app/config/access.toml: role {name}: outside_own_customers must name a role of all customers"
            )
        missing = set(PERSONAL_FIELDS) - set(role.personal)
        if missing:
            raise ConfigError(f"app/config/access.toml: role {name} does not say how to show {sorted(missing)}")
    return policy


# A phone list given as text, split keeping its separators (odd positions).
_PHONE_PARTS = re.compile(f"({PHONE_SEPARATORS.pattern})")
# A source record's raw keys shown in clear: the customer record's declared fields that are not personal.
# Any other key (a submitted record's extra one) may hold anything, a phone or an id: deny by default.
DECLARED_PLAIN = frozenset(KINDS["customers"].fields) - set(PERSONAL_BY_KEY)
# How such a value is shown to a role that does not see every personal field in full: all stars.
FREE_TEXT = Mask(keep_start=0, keep_end=0, max_share=0.5)


def _ends(value: str, keep_start: int, keep_end: int, max_share: float) -> str:
    shown = keep_start + keep_end
    if shown >= len(value) or shown >= max_share * len(value):
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - shown) + value[len(value) - keep_end :]


def apply_mask(mask: Mask, value: str) -> str:
    """``value`` as ``mask`` shows it: never the whole value, never more than its documented share."""
    if mask.part == "email_name":
        name, at, domain = value.rpartition("@")
        if not at or not name:
            return "*" * len(value)
        return _ends(name, mask.keep_start, mask.keep_end, mask.max_share) + "@" + domain
    if mask.part == "province_and_city":
        return _ends(value, region_length(value), 0, mask.max_share)
    return _ends(value, mask.keep_start, mask.keep_end, mask.max_share)


def mask(personal_field: str, value: str, cert_type: str | None = None) -> str:
    return apply_mask(access_policy().mask_of(personal_field, cert_type), value)


def redact(text: str, fields: Mapping[str, Any]) -> str:
    """``text`` (an error message about ``fields``) with each personal value of theirs in it masked: no
    error message, and so no log line, repeats one, whoever the caller is."""
    cert_type = fields.get("cert_type") if isinstance(fields.get("cert_type"), str) else None
    for key, personal in PERSONAL_BY_KEY.items():
        given = fields.get(key)
        if not given:
            continue
        values = [str(v) for v in given] if isinstance(given, list) else _PHONE_PARTS.split(str(given))[::2]
        if personal != "phone" and not isinstance(given, list):
            values = [str(given)]
        for value in sorted({v.strip() for v in values if v.strip()}, key=len, reverse=True):
            text = text.replace(value, mask(personal, value, cert_type))
    return text


def _free_text(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, list):
        return [_free_text(v) for v in value]
    if isinstance(value, dict):
        return {k: _free_text(v) for k, v in value.items()}
    return apply_mask(FREE_TEXT, str(value))


@dataclass(slots=True)
class Caller:
    """The authenticated caller of one request, and the personal fields it was shown in full."""

    name: str
    role_name: str
    role: Role
    employee: str | None = None
    revealed: dict[str, set[str]] = field(default_factory=dict)
    # The customers the caller's employee acts for now, where the role limits it (Role.outside_own_customers);
    # None: the role acts for every customer.
    acting_for: frozenset[str] | None = None

    def can(self, capability: str) -> bool:
        return capability in self.role.capabilities

    def require(self, capability: str) -> None:
        if not self.can(capability):
            raise Forbidden(f"role {self.role_name} may not {capability.replace('_', ' ')}")

    def acts_for(self, customer_id: str) -> bool:
        return self.acting_for is None or customer_id in self.acting_for

    def require_acting_for(self, customer_id: str) -> None:
        if not self.acts_for(customer_id):
            raise Forbidden(f"{self.name} does not act for customer {customer_id} now (not its account manager)")

    def role_for(self, customer_id: str) -> Role:
        """The caller's role, or outside its own customers the role whose view it gets of them."""
        if self.acts_for(customer_id) or self.role.outside_own_customers is None:
            return self.role
        return access_policy().roles[self.role.outside_own_customers]

    def show(
        self, personal_field: str, value: str | None, customer_id: str, cert_type: str | None = None
    ) -> str | None:
        if value is None or value == "":
            return value
        visibility = self.role_for(customer_id).personal[personal_field]
        if visibility == "denied":
            raise Forbidden(f"role {self.role_name} may not read {personal_field}")
        if visibility == "masked":
            return mask(personal_field, value, cert_type)
        self.revealed.setdefault(customer_id, set()).add(personal_field)
        return value

    def show_fields(self, data: Any, customer_id: str) -> Any:
        """Raw JSON (a source record's fields, an explanation) with each personal key's value shown as
        the caller may see it, at any depth; a phone list given as text is shown phone by phone."""
        if isinstance(data, list):
            return [self.show_fields(item, customer_id) for item in data]
        if not isinstance(data, dict):
            return data
        shown: dict[str, Any] = {}
        cert_type = data.get("cert_type") if isinstance(data.get("cert_type"), str) else None
        for key, value in data.items():
            personal = PERSONAL_BY_KEY.get(key)
            if personal is None or not isinstance(value, (str, int, float, list)):
                shown[key] = self.show_fields(value, customer_id)
            elif isinstance(value, list):
                shown[key] = [self.show(personal, str(v), customer_id, cert_type) for v in value]
            elif personal == "phone":
                parts = _PHONE_PARTS.split(str(value))
                shown[key] = "".join(
                    part if k % 2 else self.show(personal, part, customer_id) or "" for k, part in enumerate(parts)
                )
            else:
                shown[key] = self.show(personal, str(value), customer_id, cert_type)
        return shown

    def show_record(self, fields: Any, customer_id: str) -> Any:
        """A source record's raw fields: personal keys as :meth:`show_fields` shows them, the declared
        plain ones in clear, and every other key's value, which nothing declares, as free text: in clear
        (and audited) only to a role that sees every personal field in full, else all stars."""
        shown = self.show_fields(fields, customer_id)
        if not isinstance(shown, dict):
            return shown
        in_full = all(v == "full" for v in self.role_for(customer_id).personal.values())
        for key, value in shown.items():
            if key in DECLARED_PLAIN or key in PERSONAL_BY_KEY or value is None:
                continue
            if in_full:
                self.revealed.setdefault(customer_id, set()).add("undeclared")
            else:
                shown[key] = _free_text(value)
        return shown

    def write_audit(self, trail: AuditTrail) -> None:
        """One audit line per customer whose personal data this request showed in full, to the audit
        file only: the lines name customers and the fields read, which no console log may repeat."""
        if not self.revealed:
            return
        at = clock.now_iso()
        trail.write(
            [
                f"read caller={self.name} role={self.role_name} customer={customer_id} "
                f"fields={','.join(sorted(fields))} at={at}"
                for customer_id, fields in sorted(self.revealed.items())
            ]
        )
        self.revealed.clear()
