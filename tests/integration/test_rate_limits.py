"""Rate limits per caller (issue 18, point 3) against the real ASGI app on both stores: a burst over
the limit gets 429 with Retry-After, lookups that find nothing are limited tighter than hits (and
once spent, refuse every lookup, hit or not), exempt keys are not limited, and an employee's keys
share one budget while keys bound to nobody each have their own. Time is the injectable clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from app.access import RateLimit, access_policy
from app.api.app import create_app
from app.api.rate_limits import RateLimiter, misses_in
from app.api_keys import ApiKey, KeyRing, hash_key
from app.clock import FixedClock
from app.store import Store
from tests.conftest import load_demo
from tests.integration.test_channel_api import crm_person

PING = {"query": "{ store { backend ok } }"}
UNKNOWN_NUMBER = "13912345678"


def limits(requests: list[str], misses: list[str]) -> RateLimiter:
    rule = RateLimit.model_validate({"requests": requests, "misses": misses})
    return RateLimiter({role: rule for role in access_policy().roles})


def served(store: Store, limiter: RateLimiter, *keys: ApiKey) -> httpx.AsyncClient:
    app = create_app(store=store, keyring=KeyRing(keys), rate_limiter=limiter)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def post(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {key}"})


def by_number(number: str, alias: str = "") -> dict[str, Any]:
    field = f"{alias}: customerByServiceNumber" if alias else "customerByServiceNumber"
    return {"query": f"query($n: String!) {{ {field}(number: $n) {{ id }} }}", "variables": {"n": number}}


def refused(answer: httpx.Response) -> bool:
    if answer.status_code != 429:
        return False
    assert int(answer.headers["retry-after"]) >= 1
    assert answer.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    return True


async def test_a_burst_over_the_limit_gets_429_with_retry_after(store: Store, fixed_clock: FixedClock) -> None:
    limiter = limits(["5/second", "8/minute"], ["100/minute"])
    async with served(store, limiter, ApiKey("agent-app", "agent", hash_key("a"))) as client:
        for _ in range(5):
            assert (await post(client, "a", PING)).status_code == 200
        over = await post(client, "a", PING)
        assert refused(over) and over.headers["retry-after"] in ("1", "2")
        assert "too many requests for role agent by key:agent-app" in over.json()["errors"][0]["message"]
        fixed_clock.advance(timedelta(seconds=int(over.headers["retry-after"])))
        for _ in range(3):
            assert (await post(client, "a", PING)).status_code == 200
        # Now the minute's eight are spent: wait until the first of them is a minute old.
        over = await post(client, "a", PING)
        assert refused(over) and int(over.headers["retry-after"]) in (58, 59, 60, 61)
        fixed_clock.advance(timedelta(seconds=int(over.headers["retry-after"]) - 2))
        assert refused(await post(client, "a", PING))
        fixed_clock.advance(timedelta(seconds=2))
        assert (await post(client, "a", PING)).status_code == 200


async def test_misses_are_limited_tighter_than_hits(store: Store, fixed_clock: FixedClock, tmp_path: Path) -> None:
    directory = await load_demo(store, tmp_path / "demo", 20, seed=7)
    person = crm_person(directory)
    known = {
        "query": "query($t: CertificateType!, $n: String!) { customerByCertificate(type: $t, number: $n) { id } }",
        "variables": {"t": person["cert_type"].upper(), "n": person["cert_no"]},
    }
    limiter = limits(["100/second"], ["3/minute", "10/hour"])
    async with served(store, limiter, ApiKey("hotline-app", "hotline", hash_key("h"))) as client:
        for _ in range(20):
            hit = await post(client, "h", known)
            assert hit.status_code == 200 and hit.json()["data"]["customerByCertificate"]["id"]
        # Three misses, each its own way: not found, an aliased lookup, a search with no hit.
        assert (await post(client, "h", by_number(UNKNOWN_NUMBER))).json()["errors"][0]["extensions"][
            "code"
        ] == "NOT_FOUND"
        assert (await post(client, "h", by_number("13912345679", alias="probe"))).status_code == 200
        nothing = {"query": '{ s: searchCustomers(text: "无此人名字") { totalCount } }'}
        assert (await post(client, "h", nothing)).json()["data"]["s"]["totalCount"] == 0
        # Misses spent: every lookup is refused before it runs, the known one too ...
        assert refused(await post(client, "h", by_number("13912345670")))
        spent = await post(client, "h", known)
        assert refused(spent) and "lookups that found nothing" in spent.json()["errors"][0]["message"]
        # ... and a lookup spread from a fragment too; other requests still run.
        fragment = {"query": 'query { ...F } fragment F on Query { match(record: {name: "x"}) { probability } }'}
        assert refused(await post(client, "h", fragment))
        assert (await post(client, "h", PING)).status_code == 200
        fixed_clock.advance(timedelta(seconds=int(spent.headers["retry-after"])))
        assert (await post(client, "h", known)).status_code == 200


async def test_an_exempt_key_is_not_limited(store: Store, fixed_clock: FixedClock) -> None:
    limiter = limits(["2/second"], ["1/hour"])
    keys = (
        ApiKey("bench", "admin", hash_key("b"), exempt_from_rate_limits=True),
        ApiKey("ops", "admin", hash_key("o")),
    )
    async with served(store, limiter, *keys) as client:
        for _ in range(20):
            assert (await post(client, "b", PING)).status_code == 200
            assert (await post(client, "b", by_number(UNKNOWN_NUMBER))).status_code == 200
        assert [(await post(client, "o", PING)).status_code for _ in range(3)] == [200, 200, 429]


async def test_limits_are_per_employee_where_a_key_is_bound_and_per_key_otherwise(
    store: Store, fixed_clock: FixedClock
) -> None:
    limiter = limits(["3/second"], ["100/minute"])
    keys = (
        ApiKey("am-laptop", "account_manager", hash_key("l"), employee="E1"),
        ApiKey("am-phone", "account_manager", hash_key("p"), employee="E1"),
        ApiKey("am-other", "account_manager", hash_key("x"), employee="E2"),
        ApiKey("hotline-1", "hotline", hash_key("h1")),
        ApiKey("hotline-2", "hotline", hash_key("h2")),
    )
    async with served(store, limiter, *keys) as client:
        assert [(await post(client, k, PING)).status_code for k in ("l", "p", "l", "p")] == [200, 200, 200, 429]
        over = await post(client, "l", PING)
        assert refused(over) and "by employee:E1" in over.json()["errors"][0]["message"]
        assert [(await post(client, "x", PING)).status_code for _ in range(3)] == [200, 200, 200]
        assert [(await post(client, "h1", PING)).status_code for _ in range(4)] == [200, 200, 200, 429]
        assert [(await post(client, "h2", PING)).status_code for _ in range(3)] == [200, 200, 200]


def test_the_limits_are_access_toml_s_and_misses_are_tighter_for_every_role() -> None:
    policy = access_policy()
    assert set(policy.rate_limits) == set(policy.roles)
    for role, rule in policy.rate_limits.items():
        per_hour = {w: n * 3_600_000 // w for n, w in rule.requests}
        misses_per_hour = {w: n * 3_600_000 // w for n, w in rule.misses}
        assert max(misses_per_hour.values()) < min(per_hour.values()), role
    # A hotline app's key serves hundreds of agents; one account manager is one person.
    assert policy.rate_limits["hotline"].requests[0][0] > 10 * policy.rate_limits["account_manager"].requests[0][0]
    assert RateLimiter().limits == policy.rate_limits


def test_misses_are_read_from_the_answer() -> None:
    query = """query { a: customerByServiceNumber(number: "1") { id }
      b: customerByCertificate(type: "x", number: "1") { id } c: match(record: {}) { probability }
      s: searchCustomers(text: "x") { edges { cursor } } customer(id: "1") { id } }"""
    assert misses_in(query, None, None, [["a"], ["b"]]) == 2
    assert misses_in(query, None, {"c": [], "s": {"edges": []}, "customer": None}, []) == 2
    assert misses_in(query, None, {"c": [{"probability": 1}], "s": {"edges": [{"cursor": "x"}]}}, [["b", "id"]]) == 0
    assert misses_in('{ customer(id: "1") { id } }', None, {"customer": None}, [["customer"]]) == 0
