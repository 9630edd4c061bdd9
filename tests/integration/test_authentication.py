"""No GraphQL operation runs without a valid key, whatever the method or headers (issue 18, point 1):
every combination is sent to the real ASGI app on both stores. Only GraphiQL's page itself (a GET for
HTML with no query) loads without a key, and only outside production."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import httpx
import pytest

from app.api.app import create_app
from app.api_keys import ApiKey, KeyRing, hash_key
from app.clock import FixedClock
from app.settings import Settings
from app.store import Store

KEY = "auth-test-key"
EXPIRING = "auth-test-expiring"
QUERY = '{ searchCustomers(text: "张伟") { totalCount } }'

ACCEPTS = [
    None,
    "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "*/*",
    "application/json",
    "application/graphql-response+json",
    "multipart/mixed",
]
# What a caller without a valid key might send: nothing, a wrong or empty key, another scheme, an
# expired key (it expires half an hour after the fixed clock's now; the test moves past it).
NO_KEY: list[dict[str, str]] = [
    {},
    {"Authorization": "Bearer wrong"},
    {"Authorization": "Bearer "},
    {"Authorization": f"Basic {KEY}"},
    {"X-Api-Key": "wrong"},
    {"Authorization": f"Bearer {EXPIRING}"},
]


def requests() -> list[tuple[str, str, dict[str, object]]]:
    """Each way of sending the query: GET parameters, a JSON body, a GraphQL body, a form, and the
    query in the URL of a POST."""
    return [
        ("GET", "/graphql", {"params": {"query": QUERY}}),
        ("GET", "/graphql", {"params": {"query": QUERY, "variables": "{}"}}),
        ("POST", "/graphql", {"json": {"query": QUERY}}),
        ("POST", "/graphql", {"content": QUERY, "headers": {"Content-Type": "application/graphql"}}),
        ("POST", "/graphql", {"data": {"query": QUERY}}),
        # Not a GraphQL request (the POST's body names no query): the body check may refuse it first.
        ("POST", "/graphql", {"params": {"query": QUERY}, "json": {}}),
    ]


def refused_status(options: dict[str, object]) -> set[int]:
    return {400, 401} if options.get("json") == {} else {401}


def app_of(store: Store, production: bool = False) -> httpx.AsyncClient:
    keys = KeyRing(
        [
            ApiKey("auth-test", "hotline", hash_key(KEY), exempt_from_rate_limits=True),
            ApiKey(
                "auth-expiring",
                "hotline",
                hash_key(EXPIRING),
                expires="2026-11-30T15:45:00.000Z",
                exempt_from_rate_limits=True,
            ),
        ]
    )
    settings = Settings(env="production" if production else "development")
    app = create_app(store=store, settings=settings, keyring=keys)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def ran(answer: httpx.Response) -> bool:
    """Whether the answer carries anything the query produced."""
    try:
        body = answer.json()
    except ValueError:
        return "totalCount" in answer.text
    return isinstance(body, dict) and body.get("data") is not None


@pytest.mark.parametrize("production", [False, True])
async def test_no_query_runs_without_a_valid_key(store: Store, fixed_clock: FixedClock, production: bool) -> None:
    fixed_clock.advance(timedelta(minutes=20))  # past the expiring key's time
    tried = 0
    async with app_of(store, production) as client:
        for accept, credentials in product(ACCEPTS, NO_KEY):
            for method, path, options in requests():
                headers = {**credentials, **({"Accept": accept} if accept else {})}
                headers.update(options.get("headers", {}))  # type: ignore[call-overload]
                sent = {k: v for k, v in options.items() if k != "headers"}
                answer = await client.request(method, path, headers=headers, **sent)  # type: ignore[arg-type]
                tried += 1
                where = f"{method} {options} accept={accept} credentials={credentials}"
                assert answer.status_code in refused_status(options), (where, answer.text[:200])
                assert not ran(answer), where
                if answer.status_code == 401:
                    assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", where
                    assert answer.headers["www-authenticate"] == "Bearer", where
    assert tried == len(ACCEPTS) * len(NO_KEY) * 6


@pytest.mark.parametrize("production", [False, True])
async def test_the_same_requests_run_with_a_valid_key(store: Store, production: bool) -> None:
    async with app_of(store, production) as client:
        for accept in ACCEPTS:
            for method, path, options in requests():
                headers = {"Authorization": f"Bearer {KEY}", **({"Accept": accept} if accept else {})}
                headers.update(options.get("headers", {}))  # type: ignore[call-overload]
                sent = {k: v for k, v in options.items() if k != "headers"}
                answer = await client.request(method, path, headers=headers, **sent)  # type: ignore[arg-type]
                where = f"{method} {options} accept={accept}"
                if options.get("json") == {} or "content" in options or "data" in options:
                    # No GraphQL request: no query in the body, or a body the API does not take
                    # (application/graphql, a urlencoded form).
                    assert answer.status_code == 400 and not ran(answer), where
                    continue
                if accept == "multipart/mixed":
                    assert answer.status_code in (200, 406), where
                    continue
                assert answer.status_code == 200, (where, answer.text[:300])
                assert answer.json()["data"]["searchCustomers"]["totalCount"] == 0, where


async def test_graphiql_page_loads_without_a_key_but_not_in_production(store: Store) -> None:
    async with app_of(store) as client:
        for accept in ("*/*", "application/json"):
            # Not a browser: a GET naming no query is no request for the page, and runs nothing.
            answer = await client.get("/graphql", headers={"Accept": accept})
            assert answer.status_code in (400, 401) and "graphiql" not in answer.text.lower()
    for accept in ("text/html", "text/html,application/xhtml+xml,*/*;q=0.8"):
        async with app_of(store) as client:
            page = await client.get("/graphql", headers={"Accept": accept})
            assert page.status_code == 200 and "graphiql" in page.text.lower()
            assert not ran(page)
            # The page's own queries are POSTs with a key, or 401 like any other request.
            refused = await client.post("/graphql", json={"query": QUERY}, headers={"Accept": accept})
            assert refused.status_code == 401
            # A GET for HTML that names a query (even an empty one) is a query, not the page.
            for params in ({"query": QUERY}, {"query": ""}):
                named = await client.get("/graphql", params=params, headers={"Accept": accept})
                assert named.status_code == 401 and not ran(named)
        async with app_of(store, production=True) as client:
            page = await client.get("/graphql", headers={"Accept": accept})
            assert page.status_code == 401 and "graphiql" not in page.text.lower()


async def test_an_expired_key_is_refused_saying_it_expired(store: Store, fixed_clock: FixedClock) -> None:
    async with app_of(store) as client:
        headers = {"Authorization": f"Bearer {EXPIRING}"}
        before = await client.post("/graphql", json={"query": QUERY}, headers=headers)
        assert before.status_code == 200 and ran(before)
        fixed_clock.advance(timedelta(minutes=15))
        after = await client.post("/graphql", json={"query": QUERY}, headers=headers)
    assert after.status_code == 401 and not ran(after)
    error = after.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "auth-expiring expired at 2026-11-30T23:45:00.000+08:00" in error["message"]
