"""The audit trail of personal data shown in full: the lines app/access.py writes, one per customer a
request showed in full, appended to the data directory's audit.log.

Each line is one write(2) to a file opened for appending, so API workers sharing the file never
interleave their lines, and a line is in the operating system's hands once written. Not through
``logging``: a request's audit took 43 µs that way, 21 µs this way, in a customer view with its care
items (docs/benchmarks.md, twentieth session), and nearly every view of a card holder shows a birth
date."""

from __future__ import annotations

import logging
import os
import stat
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class AuditTrail:
    """One audit file, opened once per process and path."""

    _open: dict[Path, AuditTrail] = {}
    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Its lines name customers and what was read of them: created for its owner only, and a file
        # others may read or write (as an earlier release left it) loses their rights, the owner's and
        # group's choice kept; where this process cannot change it, it says so.
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        found = os.fstat(self._fd)
        if found.st_mode & 0o007:
            if found.st_uid == os.geteuid():
                os.fchmod(self._fd, stat.S_IMODE(found.st_mode) & ~0o007)
            else:
                log.warning("the audit file %s is open to every user and not this process's to narrow", path)
        # Set when a write failed part-way: the next write starts on a line of its own.
        self._torn = False

    @classmethod
    def at(cls, path: Path) -> AuditTrail:
        """The process's trail to ``path``: every app built on the same data directory shares it."""
        key = path.resolve()
        with cls._lock:
            trail = cls._open.get(key)
            if trail is None:
                trail = cls._open[key] = cls(key)
            return trail

    def write(self, lines: list[str]) -> None:
        """Appends ``lines`` in one write; nothing when there are none. A write the system refuses (a full
        disk, a size limit) is logged with how many lines it lost, not raised: the answer these lines
        audit has been sent, and the next request's lines may still go in."""
        if not lines:
            return
        data = "".join(f"{line}\n" for line in lines).encode("utf-8")
        if self._torn:
            data = b"\n" + data
        written = 0
        try:
            while written < len(data):
                written += os.write(self._fd, data[written:])
        except OSError as exc:
            self._torn = self._torn or written > 0
            log.error("audit: %d line(s) not written to %s: %s", len(lines), self.path, exc.strerror or exc)
            return
        self._torn = False
