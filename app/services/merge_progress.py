"""The headline merge-progress metric (DOMAIN.md §3): customers per users, by local network and
customer group. The analysts' query (cypher/analytics/customers_per_users.cypher) is the one
definition; the steward page reads it through here with the public group taken from the rules."""

from __future__ import annotations

from typing import Any

from app.rules import Rules
from app.store import Store, cypher

CUSTOMERS_PER_USERS = cypher("analytics/customers_per_users")


def public_segments(rules: Rules) -> list[str]:
    return sorted(s for s, group in rules.resolution.policy.groups.items() if group == "public")


async def customers_per_users(store: Store, rules: Rules) -> list[dict[str, Any]]:
    return await store.read(CUSTOMERS_PER_USERS, {"public": public_segments(rules)})
