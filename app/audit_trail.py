"""The audit trail of personal data shown in full: the lines app/access.py writes, one per customer a
request showed in full, appended to the data directory's audit.log.

Each line is one write(2) to a file opened for appending, so API workers sharing the file never
interleave their lines, and a line is in the operating system's hands once written. Not through
``logging``: a request's audit took 43 µs that way, 21 µs this way, in a customer view with its care
items (docs/benchmarks.md, twentieth session), and nearly every view of a card holder shows a birth
date."""

from __future__ import annotations

import os
import threading
from pathlib import Path


class AuditTrail:
    """One audit file, opened once per process and path."""

    _open: dict[Path, AuditTrail] = {}
    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Readable by its owner only: its lines name customers and what was read of them. A file left by
        # a release that made it readable to all is narrowed too, where this process owns it.
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        if os.fstat(self._fd).st_uid == os.geteuid():
            os.fchmod(self._fd, 0o600)

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
        """Appends ``lines`` in one write; nothing when there are none."""
        if not lines:
            return
        data = "".join(f"{line}\n" for line in lines).encode("utf-8")
        while data:
            data = data[os.write(self._fd, data) :]

    def lines(self) -> list[str]:
        """What the file holds, line by line (tests and the operations guide's checks)."""
        return self.path.read_text(encoding="utf-8").splitlines()
