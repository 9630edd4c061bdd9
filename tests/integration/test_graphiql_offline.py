"""GraphiQL at GET /graphql works on a network without internet access: its page and assets come from
the app itself (app/api/graphiql/, built by `make graphiql-assets`), so it renders in a real Chromium
that may reach nothing but the app, and a query with a key answers in its result pane."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from app.api.app import create_app
from app.api_keys import add_key
from app.settings import Settings
from app.store.embedded import EmbeddedStore
from tests.integration.browser import CHROMIUM, c360_serve, needs_chromium

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def served(embedded_store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The real `c360 serve` (development: GraphiQL on) and an admin key for it."""
    keys = tmp_path_factory.mktemp("graphiql") / "keys.toml"
    key = add_key(keys, "graphiql-test", "admin")
    with c360_serve(embedded_store, C360_API_KEYS_FILE=str(keys)) as base:
        yield base, key


def page_assets(html: str) -> list[str]:
    """Every URL the page's markup names (scripts, stylesheets, icons, links)."""
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html)


def test_the_page_names_only_its_own_origin(served: tuple[str, str]) -> None:
    base, _ = served
    page = httpx.get(f"{base}/graphql", headers=HTML)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    urls = page_assets(page.text)
    assert any(url.endswith(".js") for url in urls) and any(url.endswith(".css") for url in urls), urls
    for url in urls:
        absolute = urljoin(f"{base}/graphql", url)
        assert absolute.startswith(("data:", f"{base}/")), f"the page names {url!r}, outside the app"
        if absolute.startswith("data:"):
            continue
        asset = httpx.get(absolute)
        assert asset.status_code == 200, (url, asset.status_code)
        if url.endswith(".css"):
            # A stylesheet can fetch too (fonts, images, imports): all of GraphiQL's are inlined.
            outside = [
                u for u in re.findall(r"""url\(\s*["']?([^"')]+)""", asset.text) if not u.startswith(("data:", "#"))
            ]
            assert not outside and "@import" not in asset.text, outside[:5]
    # Nothing in the markup reaches the internet, not even a link.
    assert not re.search(r"""["'(]\s*(https?:)?//""", page.text), "an absolute URL in the page"
    assert Path(__file__).parents[2].joinpath("app/api/graphiql/LICENSE").read_text().startswith("MIT License")


async def test_no_graphiql_page_nor_assets_in_production(embedded_store: EmbeddedStore) -> None:
    app = create_app(store=embedded_store, settings=Settings(env="production"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        page = await client.get("/graphql", headers=HTML)
        assert page.status_code == 401 and "graphiql" not in page.text.lower()
        for asset in ("/graphiql/graphiql.js", "/graphiql/graphiql.css"):
            assert (await client.get(asset)).status_code == 404, asset
    app = create_app(store=embedded_store, settings=Settings(env="development"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/graphiql/graphiql.js")).status_code == 200


@needs_chromium
def test_graphiql_renders_and_runs_a_query_with_the_internet_blocked(served: tuple[str, str]) -> None:
    from playwright.sync_api import Route, sync_playwright

    base, key = served
    origin = urlsplit(base).netloc
    outside: list[str] = []
    failed: list[str] = []
    errors: list[str] = []

    def only_the_app(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != origin:
            outside.append(url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.route("**/*", only_the_app)
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("requestfailed", lambda request: failed.append(f"{request.url} {request.failure}"))
            # The API's own refusals (401 without a key) are answers; any other error is a failed asset.
            page.on(
                "response",
                lambda response: failed.append(f"{response.url} {response.status}")
                if response.status >= 400 and urlsplit(response.url).path != "/graphql"
                else None,
            )
            page.goto(f"{base}/graphql", wait_until="load")
            page.wait_for_selector(".graphiql-container .graphiql-query-editor .CodeMirror", timeout=15_000)
            assert "Loading..." not in page.inner_text("body")

            query = page.locator(".graphiql-query-editor .CodeMirror")
            headers = page.locator(".graphiql-editor-tool .graphiql-editor:visible .CodeMirror")
            # The headers editor opens with the template to fill in; without a key nothing runs.
            assert '"Authorization": "Bearer "' in headers.inner_text()
            query.evaluate("(element, text) => element.CodeMirror.setValue(text)", "{ store { backend ok } }")
            page.click(".graphiql-execute-button")
            page.wait_for_function(
                "document.querySelector('.result-window').innerText.includes('UNAUTHENTICATED')", timeout=15_000
            )

            headers.evaluate(
                "(element, text) => element.CodeMirror.setValue(text)", f'{{"Authorization": "Bearer {key}"}}'
            )
            page.click(".graphiql-execute-button")
            page.wait_for_function(
                "document.querySelector('.result-window').innerText.includes('\"backend\": \"embedded\"')",
                timeout=15_000,
            )
            result = page.inner_text(".result-window")
            assert '"ok": true' in result and "UNAUTHENTICATED" not in result, result
        finally:
            browser.close()
    assert outside == [], f"the page reached for the internet: {outside[:5]}"
    same_origin = [failure for failure in failed if urlsplit(failure.split()[0]).netloc == origin]
    assert same_origin == [], f"same-origin requests failed: {same_origin[:5]}"
    assert errors == [], f"script errors: {errors[:5]}"
