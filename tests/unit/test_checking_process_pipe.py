"""A checking process's answers have its stdout to themselves: whatever else prints there (a library, a
profiler attached to it) goes to stderr, where it garbled the answers before and failed the load."""

import os
import pickle
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from loaders.checking_process import _ANSWER, _BATCH, _LENGTH, _SUMMARY, Opening

# A checking process whose every answer is preceded by a line printed to its stdout.
NOISY = """
import loaders.checking_process as checking
answer = checking._LoadChecks.answer
def noisy(self, *args):
    print("a library's chatter")
    return answer(self, *args)
checking._LoadChecks.answer = noisy
checking._serve()
"""


def test_what_else_a_checking_process_prints_goes_to_stderr(tmp_path: Path) -> None:
    rows = tmp_path / "employees.csv"
    rows.write_text("source_id,name,role,local_network\nE1,林一,account_manager,0591\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    opening = Opening(rows, "utf-8", "crm", "employees", 10, (), tmp_path)
    asks = b"".join(
        _LENGTH.pack(len(data)) + data
        for data in (pickle.dumps((0, datetime(2026, 11, 2, tzinfo=UTC), ask)) for ask in (opening, None))
    )
    done = subprocess.run([sys.executable, "-c", NOISY], input=asks, capture_output=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert b"a library's chatter" in done.stderr
    answers, out = [], done.stdout
    while out:
        size, number, what = _ANSWER.unpack(out[: _ANSWER.size])
        answers.append((number, what, pickle.loads(out[_ANSWER.size : _ANSWER.size + size])))
        out = out[_ANSWER.size + size :]
    assert [(number, what) for number, what, _ in answers] == [(0, _BATCH), (0, _SUMMARY)]
    read, accepted, encoded = answers[0][2]
    assert (read, [rid for rid, _ in accepted], encoded) == (1, ["crm:employees:E1"], None)
