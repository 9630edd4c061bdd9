"""Writers that meet: a steward acting while a batch run links, two records placed at once.

On both stores. The steward's action is made to land at a chosen point of the batch run by running
it just before the run's first statement of a given name (on the real store); the two placements run
concurrently on one event loop, so each reads the customer before the other writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from app import clock
from app.services.incremental import resolve_records
from app.services.merges import Merges
from app.services.resolve import resolve_all
from app.store import Store
from app.store.queries import CypherQuery
from demo import generate
from loaders.ingest import ingest_file
from loaders.manifest import ingest_directory
from tests.identities import resident_id
from tests.integration.test_steward_decisions import assert_checks_hold, customer_of, rid, write_rows

ROWS = {
    "S1": ["陈竞速", "resident_id", resident_id(791), "13300004401", "0591", "individual"],
    "S2": ["陈竞速", "resident_id", resident_id(791), "13300004401", "0591", "individual"],
    "M1": ["吴并发", "blank", "", "13300004402", "0591", "individual"],
    "M2": ["郑并发", "blank", "", "13300004403", "0591", "individual"],
    "C0": ["林同时", "blank", "", "13300004404", "0591", "individual"],
}
# Each may join C0 (same name and phone, C0 has no certificate); not both: two certificates.
LATE = {
    "X1": ["林同时", "resident_id", resident_id(792), "13300004404", "0591", "individual"],
    "X2": ["林同时", "resident_id", resident_id(793), "13300004404", "0591", "individual"],
}


class ActsBefore:
    """The real store, with one action run just before the first statement named ``name``."""

    def __init__(self, store: Store, name: str, action: Callable[[], Awaitable[Any]]) -> None:
        self.store = store
        self.name = name
        self.action: Callable[[], Awaitable[Any]] | None = action
        self.result: Any = None

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.store, attribute)

    async def _maybe_act(self, query: CypherQuery) -> None:
        if self.action is not None and query.name == self.name:
            action, self.action = self.action, None
            self.result = await action()

    async def read(self, query: CypherQuery, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        await self._maybe_act(query)
        return await self.store.read(query, params, **kwargs)

    async def write(self, query: CypherQuery, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        await self._maybe_act(query)
        return await self.store.write(query, params, **kwargs)


@pytest.fixture
async def resolved(graph: Store, tmp_path: Path) -> Store:
    generate(tmp_path / "demo", 60, seed=9)
    await ingest_directory(graph, tmp_path / "demo")
    await ingest_file(graph, "probe", "customers", write_rows(tmp_path / "probe.csv", ROWS))
    await resolve_all(graph)
    return graph


@pytest.mark.parametrize("lands_before", ["resolve/decisions_since", "resolve/write_customers"])
async def test_a_split_made_while_a_batch_run_links_is_not_undone(
    resolved: Store, lands_before: str, tmp_path: Path
) -> None:
    """Before the run's first look for late decisions, the run leaves the split customers alone;
    after it (between the look and the write), the write undoes the split and the run places the
    records again at its end. Either way the split holds when the run is done."""
    owners = await customer_of(resolved)
    assert owners[rid("S1")] == owners[rid("S2")]
    # A run writes only customers that changed: S1 gets a second phone, so it has this one to write.
    changed = {"S1": [*ROWS["S1"][:3], "13300004401;13300004409", *ROWS["S1"][4:]]}
    await ingest_file(resolved, "probe", "customers", write_rows(tmp_path / "changed.csv", changed))

    async def split() -> Any:
        return await Merges(resolved).split(owners[rid("S1")], [rid("S2")], decided_by="steward-race")

    racing = ActsBefore(resolved, lands_before, split)
    report = await resolve_all(racing)  # type: ignore[arg-type]
    assert racing.result is not None, "the steward's split did not run"
    owners = await customer_of(resolved)
    assert owners[rid("S1")] != owners[rid("S2")]
    if lands_before == "resolve/decisions_since":
        assert report.left_to_stewards >= 2 and report.overtaken == []
    else:
        assert len(report.overtaken) == 1, report.summary
    await assert_checks_hold(resolved)
    await resolve_all(resolved)
    owners = await customer_of(resolved)
    assert owners[rid("S1")] != owners[rid("S2")]


async def test_a_merge_made_while_a_batch_run_links_is_not_undone(resolved: Store) -> None:
    owners = await customer_of(resolved)
    assert owners[rid("M1")] != owners[rid("M2")]

    async def merge() -> Any:
        return await Merges(resolved).merge(owners[rid("M1")], owners[rid("M2")], decided_by="steward-race")

    racing = ActsBefore(resolved, "resolve/decisions_since", merge)
    await resolve_all(racing)  # type: ignore[arg-type]
    assert racing.result is not None
    owners = await customer_of(resolved)
    assert owners[rid("M1")] == owners[rid("M2")]
    await assert_checks_hold(resolved)


async def test_two_records_placed_at_once_never_give_a_customer_two_certificates(
    resolved: Store, tmp_path: Path
) -> None:
    await ingest_file(resolved, "probe", "customers", write_rows(tmp_path / "late.csv", LATE))
    alone = (await customer_of(resolved))[rid("C0")]
    placed = await asyncio.gather(resolve_records(resolved, [rid("X1")]), resolve_records(resolved, [rid("X2")]))
    owners = await customer_of(resolved)
    joined = [x for x in ("X1", "X2") if owners[rid(x)] == alone]
    assert len(joined) == 1, (placed, owners[rid("X1")], owners[rid("X2")], alone)
    await assert_checks_hold(resolved)


async def test_a_decision_recorded_after_a_first_loads_empty_graph_is_obeyed_as_a_late_one(resolved: Store) -> None:
    """A first load's resolution reads no decisions (its graph held none when the load began): one
    recorded since that moment is found late, and the run leaves its records where the steward put them."""
    owners = await customer_of(resolved)
    assert owners[rid("S1")] == owners[rid("S2")]
    began = clock.now_iso()
    await asyncio.sleep(0.002)  # the split is recorded after the moment, as during a load
    await Merges(resolved).split(owners[rid("S1")], [rid("S2")], decided_by="steward-during-load")
    report = await resolve_all(resolved, no_decisions_before=began)
    owners = await customer_of(resolved)
    assert owners[rid("S1")] != owners[rid("S2")], report.summary
    assert report.summary["steward_decisions"]["obeyed"] == 0
    await assert_checks_hold(resolved)
