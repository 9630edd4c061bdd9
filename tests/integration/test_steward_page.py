"""The steward web page end to end in headless Chromium: queue, side-by-side comparison with
differences highlighted, approve by keyboard without a page reload, unmerge from the history.

The API runs as a real `c360 serve` process attached to the test store; the browser is the
system's Chromium (Debian package `chromium`), driven by Playwright. Without Chromium these
tests skip and say so.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.api_keys import add_key
from app.services.resolve import resolve_all
from app.store import Store
from app.store.embedded import EmbeddedStore
from loaders.ingest import ingest_file
from tests.integration.browser import CHROMIUM, c360_serve, needs_chromium
from tests.integration.test_steward_api import crafted_pair

pytestmark = needs_chromium


@pytest.fixture
async def review_graph(graph: EmbeddedStore, tmp_path: Path) -> EmbeddedStore:
    """The crafted pair (two customers of 0591), holding three mobile lines between them."""
    await ingest_file(graph, "probe", "customers", crafted_pair(tmp_path))
    lines = tmp_path / "subscriptions.csv"
    lines.write_text(
        "source_id,customer_source_id,service_no,product_type,status\n"
        "L1,R1,13300007771,mobile,active\nL2,R1,13300007773,mobile,active\nL3,R2,13300007772,mobile,active\n",
        encoding="utf-8",
    )
    await ingest_file(graph, "probe", "subscriptions", lines)
    await resolve_all(graph)
    return graph


@pytest.fixture
def server(review_graph: EmbeddedStore, tmp_path: Path) -> Iterator[tuple[str, str]]:
    keys = tmp_path / "keys.toml"
    key = add_key(keys, "page-test", "steward")
    with c360_serve(review_graph, C360_API_KEYS_FILE=str(keys)) as base:
        yield base, key


@pytest.fixture
def page(server: tuple[str, str]):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        yield page
        browser.close()


def sign_in(page, base: str, key: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/steward/")
    page.fill("#key", key)
    page.click("#login button")
    page.wait_for_selector("#queue li")


def test_comparison_renders_and_keyboard_approves(
    page,
    server: tuple[str, str],
    tmp_path: Path,  # type: ignore[no-untyped-def]
    review_graph: Store,
) -> None:
    base, key = server
    sign_in(page, base, key)
    page.locator("#queue li", has_text="same_certificate_different_name").first.click()
    page.wait_for_selector("#comparison tbody tr")
    name_row = page.locator("#comparison tbody tr", has_text="name").first
    assert "differs" in (name_row.get_attribute("class") or "")
    cert_row = page.locator("#comparison tbody tr", has_text="certificate").first
    assert "agrees" in (cert_row.get_attribute("class") or "")
    assert page.locator("#comparison").inner_text().count("欧阳某某") == 1
    shot = tmp_path / "comparison.png"
    page.locator("#detail").screenshot(path=str(shot))
    assert shot.stat().st_size > 5_000
    page.evaluate("window.__marker = 'same page'")
    before = page.locator("#queue li").count()
    page.keyboard.press("a")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('merged')")
    assert page.evaluate("window.__marker") == "same page"
    assert page.locator("#queue li").count() == before - 1
    page.keyboard.press("h")
    page.wait_for_selector("#history button.unmerge")


def test_unmerge_from_history(page, server: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    base, key = server
    sign_in(page, base, key)
    page.locator("#queue li", has_text="same_certificate_different_name").first.click()
    page.wait_for_selector("#comparison tbody tr")
    page.click("#approve")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('merged')")
    page.click("#history-btn")
    page.wait_for_selector("#history button.unmerge")
    page.keyboard.press("u")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('unmerged')")
    page.wait_for_selector("#history li:has-text('undone')")
    assert page.locator("#history button.unmerge").count() == 0


def test_wrong_key_is_told(page, server: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    base, _ = server
    page.goto(f"{base}/steward/")
    page.fill("#key", "not-a-key")
    page.click("#login button")
    page.wait_for_function("document.getElementById('status').textContent.includes('UNAUTHENTICATED')")
    assert page.locator("#login").is_visible()


def test_merge_progress_shows_customers_per_users(page, server: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Two public customers of 0591 own three lines: 0.6667 customers per user, as the analysts' query says."""
    base, key = server
    sign_in(page, base, key)
    page.click("#progress-pane summary")
    row = page.locator("#progress tbody tr", has_text="0591")
    row.wait_for()
    assert row.inner_text().split() == ["0591", "public", "2", "3", "0.6667"]
