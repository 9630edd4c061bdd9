"""The audit file: owner-only, one per path in a process, and whole lines from several writers."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

from app.audit_trail import AuditTrail

WRITERS, LINES, WIDTH = 4, 400, 3000


def _append(path: str, writer: int) -> None:
    trail = AuditTrail(Path(path))
    for n in range(LINES):
        trail.write([f"writer={writer} n={n} " + str(writer) * WIDTH])


def test_the_file_is_its_owners_alone_and_shared_by_apps_on_one_data_directory(tmp_path: Path) -> None:
    trail = AuditTrail.at(tmp_path / "var" / "audit.log")
    assert AuditTrail.at(tmp_path / "var" / ".." / "var" / "audit.log") is trail
    assert AuditTrail.at(tmp_path / "other.log") is not trail
    trail.write([])
    trail.write(["one", "two"])
    assert trail.lines() == ["one", "two"]
    assert stat.S_IMODE((tmp_path / "var" / "audit.log").stat().st_mode) == 0o600


def test_a_file_readable_by_all_is_narrowed_to_its_owner_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_text("an earlier line\n", encoding="utf-8")
    path.chmod(0o644)
    trail = AuditTrail.at(path)
    trail.write(["a new line"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert trail.lines() == ["an earlier line", "a new line"]


def test_lines_of_writers_in_several_processes_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    spawn = multiprocessing.get_context("spawn")
    workers = [spawn.Process(target=_append, args=(str(path), w)) for w in range(WRITERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == WRITERS * LINES
    for line in lines:
        head, _, body = line.rpartition(" ")
        writer = head.split()[0].removeprefix("writer=")
        assert body == writer * WIDTH, line[:80]
    for w in range(WRITERS):
        assert [int(x.split()[1][2:]) for x in lines if x.startswith(f"writer={w} ")] == list(range(LINES))
