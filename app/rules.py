"""Loading the business rules (app/config/rules.toml, or C360_RULES_FILE) into typed models.

Rules are data so that a province can change a threshold without a code change; the
models reject unknown keys so a misspelt rule fails loudly at start-up.
"""

from __future__ import annotations

import logging
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.customer import SURVIVORSHIP
from app.errors import ConfigError
from app.settings import get_settings

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
    em_max_iterations: int = Field(ge=0)
    em_tolerance: float = Field(gt=0)
    u_sample_pairs: int = Field(gt=0)
    random_seed: int
    blocking_rules: list[str]
    policy: PolicyRules
    overrides: dict[str, LevelOverride] = {}


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


class TierRules(Strict):
    months: int
    star_spend_thresholds: list[float]
    six_star_points: int


class Entitlement(Strict):
    min_star: int = 7
    vip_cards: list[str] = []
    tags: list[str] = []


class Rules(Strict):
    resolution: ResolutionRules
    survivorship: SurvivorshipRules
    tiers: TierRules
    entitlements: dict[str, Entitlement]


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
