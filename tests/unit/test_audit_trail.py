"""The audit file: owner-only, one per path in a process, and whole lines from several writers."""

from __future__ import annotations

import multiprocessing
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app.audit_trail import AuditTrail

WRITERS, LINES, WIDTH = 4, 400, 3000
ROOT = Path(__file__).resolve().parents[2]


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
    assert trail.path.read_text(encoding="utf-8").splitlines() == ["one", "two"]
    assert stat.S_IMODE((tmp_path / "var" / "audit.log").stat().st_mode) == 0o600


@pytest.mark.parametrize(("before", "after"), [(0o644, 0o640), (0o666, 0o660), (0o640, 0o640), (0o600, 0o600)])
def test_a_file_open_to_every_user_loses_their_rights_and_keeps_its_lines(
    tmp_path: Path, before: int, after: int
) -> None:
    path = tmp_path / "audit.log"
    path.write_text("an earlier line\n", encoding="utf-8")
    path.chmod(before)
    trail = AuditTrail.at(path)
    trail.write(["a new line"])
    assert stat.S_IMODE(path.stat().st_mode) == after
    assert trail.path.read_text(encoding="utf-8").splitlines() == ["an earlier line", "a new line"]


def _limited(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Runs ``script`` with the file size limited to 150 bytes, as a full disk would refuse a write."""
    code = (
        "import resource, signal, sys\n"
        "from pathlib import Path\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (150, resource.RLIM_INFINITY))\n"
        "from app.audit_trail import AuditTrail\n"
        f"trail = AuditTrail.at(Path({str(tmp_path / 'audit.log')!r}))\n" + script
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def test_a_refused_write_is_logged_and_the_next_line_starts_whole(tmp_path: Path) -> None:
    done = _limited(
        "trail.write(['a' * 60 + ' C1', 'b' * 60 + ' C2'])\n"
        "trail.write(['c' * 200 + ' C3'])\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, resource.RLIM_INFINITY))\n"
        "trail.write(['after C4'])\n"
        "print('went on')\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "went on" in done.stdout
    assert "audit: 1 line(s) not written" in done.stderr and "File too large" in done.stderr
    assert "C3" not in done.stderr
    lines = (tmp_path / "audit.log").read_text(encoding="utf-8").splitlines()
    # The refused line's first bytes stay, cut short; the next line is whole on its own.
    assert lines[:2] == ["a" * 60 + " C1", "b" * 60 + " C2"]
    assert lines[2] == "c" * (150 - 2 * 64)
    assert lines[3:] == ["after C4"]


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
