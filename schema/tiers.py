"""The GraphQL tier: the star level with its explanation, thin over app/tiers.py."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from app.rules import Rules
from app.tiers import Tier as TierResult
from schema.enums import VipCard
from schema.pagination import TIER_HISTORY, Connection, Window, in_memory
from schema.scalars import DateTime


@strawberry.type(description="One month of the star level's window and what was billed in it.")
class MonthSpend:
    month: str = strawberry.field(description="The month, YYYY-MM.")
    amount: float = strawberry.field(description="Billed in that month over all the customer's accounts (yuan).")


@strawberry.type(description="What the next star level takes (准星): a spend line, points or a brand.")
class NextLevel:
    star_level: int = strawberry.field(description="The next level.")
    spend_line: float | None = strawberry.field(description="The average monthly spend (yuan) it takes.")
    spend_gap: float | None = strawberry.field(description="How much more a month that is than now.")
    points_line: int | None = strawberry.field(description="The calendar year's points it takes (six stars).")
    points_gap: int | None = strawberry.field(description="How many more points than last year's.")
    near: bool = strawberry.field(description="Within the configured share of the line (准星 customer).")
    text: str = strawberry.field(description="The same in words, for the front line.")


@strawberry.type(description="An entitlement (差异化服务) the level, card or a tag grants.")
class GrantedEntitlement:
    name: str = strawberry.field(description="Its configured name.")
    label: str = strawberry.field(description="What it is, in the operator's words.")


@strawberry.type(description="The customer's star level (星级), why it has it, and what it entitles them to.")
class Tier:
    star_level: int = strawberry.field(description="Stars, 1 to 6 (客户星级).")
    as_of: date = strawberry.field(description="The operator's day the level is computed for.")
    rule_set: str = strawberry.field(description="The rule set of the customer's local network.")
    reason: str = strawberry.field(description="Why the customer has this level, in words.")
    average_monthly_spend: float = strawberry.field(
        description="The average monthly spend over the window's complete months (a month without bills counts zero)."
    )
    months: list[MonthSpend] = strawberry.field(description="The window's months and their amounts, oldest first.")
    points_year: int = strawberry.field(description="The calendar year whose points count (the previous one).")
    points: int = strawberry.field(description="That year's points (积分) from the authoritative source.")
    notable: bool = strawberry.field(description="Marked for notable social standing: six stars.")
    brand: str | None = strawberry.field(description="The four-star brand the customer holds (全球通), if any.")
    vip_card: VipCard | None = strawberry.field(description="The customer's VIP card (大客户卡), if any.")
    tags: list[str] = strawberry.field(description="Identification tags (识别标签), such as organisation key person.")
    entitlements: list[str] = strawberry.field(description="What the stars, card and tags entitle the customer to.")

    @strawberry.field(description="The same entitlements with their labels.")
    def granted(self) -> list[GrantedEntitlement]:
        return [GrantedEntitlement(name=n, label=self.rules.entitlements[n].label) for n in self.entitlements]

    next_level: NextLevel | None = strawberry.field(description="What the next level takes; null at six stars.")
    rules: strawberry.Private[Rules]


def tier_type(tier: TierResult, rules: Rules) -> Tier:
    following = tier.next_level
    return Tier(
        star_level=tier.star,
        as_of=tier.as_of,
        rule_set=tier.rule_set,
        reason=tier.reason,
        average_monthly_spend=tier.average_spend,
        months=[MonthSpend(month=m.month, amount=m.amount) for m in tier.months],
        points_year=tier.points_year,
        points=tier.points,
        notable=tier.notable,
        brand=tier.brand,
        vip_card=tier.vip_card,
        tags=list(tier.tags),
        entitlements=list(tier.entitlements),
        next_level=None
        if following is None
        else NextLevel(
            star_level=following.star,
            spend_line=following.spend_line,
            spend_gap=following.spend_gap,
            points_line=following.points_line,
            points_gap=following.points_gap,
            near=following.near,
            text=following.text,
        ),
        rules=rules,
    )


@strawberry.type(description="A change of the customer's recorded star level and why (c360 tiers records them).")
class TierChange:
    id: strawberry.ID = strawberry.field(description="The change's id.")
    at: DateTime = strawberry.field(description="When it was recorded.")
    as_of: date = strawberry.field(description="The operator's day the new level was computed for.")
    from_star_level: int | None = strawberry.field(description="The level before; null for the first one recorded.")
    to_star_level: int = strawberry.field(description="The level after.")
    reason: str = strawberry.field(description="Why the customer has the new level.")


def tier_history_page(changes: list[dict[str, Any]], page: Window) -> Connection[TierChange]:
    items = [
        TierChange(
            id=strawberry.ID(c["id"]),
            at=c["at"],
            as_of=date.fromisoformat(c["as_of"]),
            from_star_level=c.get("from_star"),
            to_star_level=c["to_star"],
            reason=c["reason"],
        )
        for c in changes
    ]
    return in_memory(TIER_HISTORY, items, lambda t: (str(t.at), str(t.id)), lambda t: t, page, descending=True)
