"""What a process forked to work beside a run (normalising its records, deriving its customers) does as
it starts: it leaves Ctrl-C to the run, and it dies with the run's process."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal

from app.errors import HelperProcessEnded

_PR_SET_PDEATHSIG = 1


def started_by(parent: int) -> None:
    """A process pool's initializer, given the run's pid. Ctrl-C ends the run, which ends its helpers;
    they must not print a traceback of their own. The out-of-memory killer picks the largest process,
    the run's: a helper left waiting on its queue would keep a copy of the run's memory for ever, and
    the rerun would run out of memory in turn."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):  # not Linux
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the run died before the line above
        os._exit(1)


def ended(doing: str) -> HelperProcessEnded:
    """The error of a run whose helper, ``doing`` its work, ended without answering."""
    return HelperProcessEnded(f"the process {doing} ended without answering (killed, or out of memory?)")
