"""The steward web page end to end in headless Chromium: queue rows with both records, side-by-side
comparison with differences highlighted, both customers' records and holdings, the golden record the
merge would produce, approve / reject / unmerge by keyboard behind a confirmation (Escape cancels),
counts that follow each action, a customer search that opens a merge history with unmerge.

The API runs as a real `c360 serve` process attached to the test store; the browser is the
system's Chromium (Debian package `chromium`), driven by Playwright. Without Chromium these
tests skip and say so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
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


CANDIDATE = "query($id: ID!) { matchCandidate(id: $id) { candidate { id status } } }"
QUEUE = "{ reviewQueue(first: 50) { nodes { id rule } } }"
APPROVE = "mutation($id: ID!) { approveCandidate(id: $id) { result { eventId } userErrors { code } } }"
DECISIONS = """query($record: ID!) { stewardDecisions(recordId: $record) { nodes { kind why candidate decidedBy } } }"""
STATUS = "document.getElementById('status').textContent"


def api(server: tuple[str, str], query: str, **variables: Any) -> dict[str, Any]:
    """The running API, asked as the page's steward: what the page did, seen from outside it."""
    base, key = server
    answer = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    ).json()
    assert "errors" not in answer, answer
    return answer["data"]


def probe_id(server: tuple[str, str]) -> str:
    nodes = api(server, QUEUE)["reviewQueue"]["nodes"]
    return next(c["id"] for c in nodes if c["rule"] == "same_certificate_different_name")


def sign_in(page, base: str, key: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/steward/")
    page.fill("#key", key)
    page.click("#login button")
    page.wait_for_selector("#queue li")


def open_probe(page) -> None:  # type: ignore[no-untyped-def]
    """Select the crafted pair's candidate and wait for its comparison."""
    page.locator("#queue li", has_text="same_certificate_different_name").first.click()
    page.wait_for_selector("#comparison tbody tr")


def approve_on_page(page) -> None:  # type: ignore[no-untyped-def]
    """Approve the selected candidate with the button, confirm, and wait for the merge."""
    page.click("#approve")
    page.click("#confirm-ok")
    page.wait_for_function(f"{STATUS}.startsWith('merged')")


def test_comparison_renders_and_keyboard_approves(
    page,
    server: tuple[str, str],
    tmp_path: Path,  # type: ignore[no-untyped-def]
    review_graph: Store,
) -> None:
    base, key = server
    sign_in(page, base, key)
    open_probe(page)
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
    page.wait_for_selector("#confirm[open]")
    page.keyboard.press("Escape")
    page.wait_for_function("document.getElementById('status').textContent === 'approve cancelled'")
    assert not page.locator("#confirm").is_visible()
    assert page.locator("#queue li").count() == before
    assert api(server, CANDIDATE, id=probe_id(server))["matchCandidate"]["candidate"]["status"] == "PENDING"
    page.keyboard.press("a")
    page.click("#confirm-ok")
    page.wait_for_function(f"{STATUS}.startsWith('merged')")
    assert page.evaluate("window.__marker") == "same page"
    assert page.locator("#queue li").count() == before - 1
    page.keyboard.press("h")
    page.wait_for_selector("#history button.unmerge")


def test_unmerge_from_history(page, server: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    base, key = server
    sign_in(page, base, key)
    open_probe(page)
    approve_on_page(page)
    page.click("#history-btn")
    page.wait_for_selector("#history button.unmerge")
    page.keyboard.press("u")
    page.wait_for_selector("#confirm[open]")
    page.keyboard.press("Escape")
    page.wait_for_function("document.getElementById('status').textContent === 'unmerge cancelled'")
    assert page.locator("#history button.unmerge").count() == 1
    page.keyboard.press("u")
    page.click("#confirm-ok")
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


def test_rows_show_both_records_score_age_and_department(page, server: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    base, key = server
    sign_in(page, base, key)
    row = page.locator("#queue li", has_text="same_certificate_different_name").first
    shown = row.inner_text()
    for expected in ("甄测试", "欧阳某某", "probe", "0591", "data_stewards"):
        assert expected in shown, shown
    assert shown.count("0591") == 2 and shown.count("probe") == 2, shown
    assert re.search(r"\b[01]\.\d{4}\b", shown), shown  # the score with four digits
    assert re.search(r"\b\d+ (s|min|h|d)\b", shown), shown  # the candidate's age
    # The department filter lists the departments present.
    options = page.locator("#f-department option").all_inner_texts()
    assert options[0] == "any" and any(o.startswith("data_stewards") for o in options[1:]), options
    page.select_option("#f-department", "data_stewards")
    page.wait_for_selector("#queue li")
    assert page.locator("#queue li", has_text="甄测试").count() == 1


def test_comparison_shows_networks_holdings_rules_and_the_merged_golden_record(  # type: ignore[no-untyped-def]
    page, server: tuple[str, str]
) -> None:
    base, key = server
    sign_in(page, base, key)
    page.locator("#queue li", has_text="same_certificate_different_name").first.click()
    page.wait_for_selector("#preview tbody tr")
    records = {
        row.locator("td").first.inner_text(): row.locator("td").all_inner_texts()[1:]
        for row in page.locator("#records tbody tr").all()
    }
    assert records["local network"] == ["0591", "0591"] and records["segment"] == ["individual", "individual"]
    assert records["source"] == ["probe", "probe"] and sorted(records["source id"]) == ["R1", "R2"]
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d", d) for d in records["loaded"] + records["changed"])
    why = page.locator("#why").inner_text()
    assert "same_certificate_different_name" in why and "同证不同名" in why and "any data steward" in why
    assert "the same certificate number" in why and "One local network (0591)" in why
    # Each customer's holdings: R1 holds two lines, R2 one.
    holdings = page.locator("#customers").inner_text()
    assert "subscriptions: 2" in holdings and "subscriptions: 1" in holdings, holdings
    assert "13300007773" in holdings and "records: 1 (0 other)" in holdings, holdings
    preview = {
        row.locator("td").first.inner_text(): row.locator("td").nth(1).inner_text()
        for row in page.locator("#preview tbody tr").all()
    }
    survivor = api(
        server, CANDIDATE.replace("candidate { id status }", "mergePreview { name survivorId }"), id=probe_id(server)
    )
    golden = survivor["matchCandidate"]["mergePreview"]
    assert preview["name"] == golden["name"] and golden["name"] in ("甄测试", "欧阳某某")
    assert set(preview["phones"].split(", ")) == {"13300007771", "13300007772"}
    assert preview["records"] == "2" and preview["local network"] == "0591"
    assert golden["survivorId"] in page.locator("#refusal").inner_text()


def test_reject_asks_a_reason_and_the_api_keeps_it(page, server: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    base, key = server
    sign_in(page, base, key)
    assert page.locator("#counts").inner_text() == "1 pending"
    open_probe(page)
    page.keyboard.press("r")
    page.wait_for_selector("#confirm-reason:visible")
    page.fill("#confirm-reason", "两个人: 核对过身份证照片")
    page.click("#confirm-ok")
    page.wait_for_function(f"{STATUS}.startsWith('rejected')")
    page.wait_for_function("document.getElementById('counts').textContent === '0 pending'")
    assert page.locator("#queue li").count() == 0
    decisions = api(server, DECISIONS, record="probe:customers:R1")["stewardDecisions"]["nodes"]
    assert [(d["kind"], d["why"]) for d in decisions] == [("CANNOT", "两个人: 核对过身份证照片")], decisions


def test_counts_drop_after_an_approval_and_refusals_show(page, server: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    """The pending count follows an approval; a refusal the API answers as userErrors (here another
    steward approved the candidate meanwhile) shows in the status line, not silently."""
    base, key = server
    sign_in(page, base, key)
    assert page.locator("#counts").inner_text() == "1 pending"
    open_probe(page)
    done = api(server, APPROVE, id=probe_id(server))["approveCandidate"]
    assert done["userErrors"] == []
    page.keyboard.press("a")
    page.click("#confirm-ok")
    page.wait_for_function(f"{STATUS}.startsWith('CONFLICT')")
    assert "already approved" in page.locator("#status").inner_text()
    assert "error" in (page.locator("#status").get_attribute("class") or "")
    page.reload()
    page.wait_for_function("document.getElementById('counts').textContent === '0 pending'")


def test_search_opens_a_customers_history_with_unmerge(page, server: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    base, key = server
    sign_in(page, base, key)
    open_probe(page)
    approve_on_page(page)
    page.wait_for_function("document.getElementById('counts').textContent === '0 pending'")
    page.fill("#search-text", "13300007772")  # a phone of the absorbed record: the merged customer has it
    page.click("#search button")
    page.locator("#search-results button.open-history").first.click()
    page.wait_for_selector("#history button.unmerge")
    assert "Merge history of" in page.locator("#history-title").inner_text()
    page.click("#history button.unmerge")
    page.wait_for_selector("#confirm[open]")
    page.click("#confirm-ok")
    page.wait_for_function(f"{STATUS}.startsWith('unmerged')")
    page.wait_for_selector("#history li:has-text('undone')")
    # The pair is back in the queue, and the count says so.
    page.wait_for_function("document.getElementById('counts').textContent === '1 pending'")


def test_no_stale_refusal_after_signing_in(page, server: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    base, key = server
    page.goto(f"{base}/steward/")
    page.fill("#key", "not-a-key")
    page.click("#login button")
    page.wait_for_function(f"{STATUS}.includes('UNAUTHENTICATED')")
    page.fill("#key", key)
    page.click("#login button")
    page.wait_for_selector("#queue li")
    page.wait_for_function("document.getElementById('counts').textContent === '1 pending'")
    assert "UNAUTHENTICATED" not in page.locator("#status").inner_text()
    assert not page.locator("#login").is_visible()
