"""A checking process's answers have a pipe to themselves: whatever else prints to its stdout, from the
interpreter's start on (a site module, a library as it is imported or as it works, a profiler), goes to
the load's stderr. Printed into the answers, it garbled them and failed the load."""

from __future__ import annotations

import asyncio
import pickle
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app import clock
from loaders.checking_process import _BATCH, _SUMMARY, Arrival, CheckingProcess, Opening

# Run by the checking process's interpreter before anything else (a sitecustomize on its path).
NOISY_SITE = """
print("printed as the interpreter starts")
import loaders.checking_process as checking
answer = checking._LoadChecks.answer
def noisy(self, *args):
    print("a library's chatter")
    return answer(self, *args)
checking._LoadChecks.answer = noisy
"""


async def test_what_else_a_checking_process_prints_goes_to_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(NOISY_SITE, encoding="utf-8")
    monkeypatch.setattr(sys, "path", [str(site), *sys.path])
    rows = tmp_path / "employees.csv"
    rows.write_text("source_id,name,role,local_network\nE1,林一,account_manager,0591\n", encoding="utf-8")
    before = clock.set_clock(clock.FixedClock(datetime(2026, 11, 2, tzinfo=UTC)))
    arrivals: asyncio.Queue[Arrival] = asyncio.Queue()
    process = CheckingProcess(lambda _, arrival: arrivals.put_nowait(arrival))
    process.start()
    try:
        process.ask(0, Opening(rows, "utf-8", "crm", "employees", 10, (), tmp_path))
        process.ask(0)
        answers = [await asyncio.wait_for(arrivals.get(), timeout=60) for _ in range(2)]
    finally:
        await process.stop()
        clock.set_clock(before)
    assert all(answer is not None for answer in answers)
    assert [(number, what) for number, what, _ in answers] == [(0, _BATCH), (0, _SUMMARY)]  # type: ignore[misc]
    read, accepted, encoded = pickle.loads(answers[0][2])  # type: ignore[index]
    assert (read, [rid for rid, _ in accepted], encoded) == (1, ["crm:employees:E1"], None)
    printed = capfd.readouterr().err
    assert "printed as the interpreter starts" in printed
    assert printed.count("a library's chatter") == 2
