"""A first load's rows read, checked and refused in a second process, while this one builds and writes the graph.

Python runs one thread at a time: the reading thread of an ordinary ingest and the graph's building took
turns on one core while the other mostly idled. Into an empty graph every reference is to a record the
same load accepted before, so the checks need no store, and the whole of a file's checking can move:
the second process reads each file, checks its rows (loaders.ingest.prepare_rows, the rules every path
uses), checks their references against the records it accepted earlier in the load, and writes the
rejects and warnings files; this process gets each batch's accepted rows as ``(record id, statement
parameters)`` pairs, the least that crosses between processes, and at the file's end its counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gc
import os
import pickle
import struct
import subprocess
import sys
import threading
import traceback
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, cast

from app import clock
from app.errors import C360Error
from app.services.source_records import RecordWriter
from app.store import Store
from loaders.formats import read_rows
from loaders.ingest import IngestSummary, RejectWriter, batches, note_checked, prepare_rows, rejects_path, warnings_path

_LENGTH = struct.Struct("<Q")
# An answer is a few megabytes; a pipe of a megabyte (Linux's most without privileges) takes it in a
# few reads, each of which waits for this process's interpreter lock.
_PIPE_BYTES = 1 << 20
# Batches the second process may check ahead of the graph's building.
AHEAD = 2


class CheckingProcessFailed(C360Error):
    """The second process ended, or failed in a way it could not send back as its own error: not a
    fault of the files."""

    code = "LOAD_CHECKS_FAILED"


class Accepted(NamedTuple):
    """A row to write: its record id and its statement's parameters (services.source_records)."""

    rid: str
    params: Any


class LoadedBefore(RecordWriter):
    """References checked against the records this load accepted before: in a graph that was empty,
    nothing else exists. It writes nothing; the first load's graph does."""

    def __init__(self, source: str, kind: str, known: set[str], service_numbers: set[str]) -> None:
        super().__init__(cast(Store, None), source, kind, known)  # never asked: both lookups answer here
        self.known_service_numbers = service_numbers

    async def _existing(self, ids: Iterable[str]) -> dict[str, str | None]:
        return {}

    async def _existing_numbers(self, numbers: set[str]) -> list[str]:
        return []


class _FileChecks:
    """One file in the second process: its batches, the ids seen in it, its rejects and warnings."""

    def __init__(self, load: _LoadChecks, path: Path, encoding: str, source: str, kind: str, batch_size: int) -> None:
        self.load, self.kind = load, kind
        self.summary = IngestSummary(source=source, kind=kind, path=str(path))
        self.rows = batches(read_rows(path, encoding), batch_size)
        self.seen: set[str] = set()
        self.references = LoadedBefore(source, kind, load.known, load.service_numbers)
        self.reject = RejectWriter(rejects_path(path))
        self.warned = RejectWriter(warnings_path(path), issues=False)

    def next(self) -> tuple[int, list[tuple[str, Any]]] | IngestSummary:
        """A batch's rows read and accepted; at the file's end, its summary as far as checking goes."""
        raw = next(self.rows, None)
        if raw is None:
            self.close()
            self.summary.note_rejects(self.reject, self.warned)
            return self.summary
        self.summary.read += len(raw)
        prepared, refused = prepare_rows(self.references.source, self.kind, raw, self.seen)
        for line, source_id, problems, row in refused:
            self.reject.add(line, source_id, problems, row)
        accepted, unknown = self.load.loop.run_until_complete(self.references.check_references(prepared))
        note_checked(accepted, unknown, self.reject, self.warned)
        self.load.known.update(row.rid for row in accepted)
        if self.kind == "subscriptions":
            self.load.service_numbers.update(row.params["node"]["service_no"] for row in accepted)  # type: ignore[call-overload]
        return len(raw), [(row.rid, row.params) for row in accepted]

    def close(self) -> None:
        self.reject.close()
        self.warned.close()


class _LoadChecks:
    """The second process's side of a load: the records accepted so far, by id, and the service numbers
    of its subscriptions (a contact that names only a number must name one of them)."""

    def __init__(self) -> None:
        self.known: set[str] = set()
        self.service_numbers: set[str] = set()
        self.files: dict[int, _FileChecks] = {}
        self.loop = asyncio.new_event_loop()

    def answer(self, token: int, now: datetime, opening: tuple[Any, ...] | None) -> Any:
        """A file's next batch, checked as of the asking process's now (a fixed or demo clock is not this
        process's own). The first ask opens the file; asks made ahead past its end find nothing more."""
        clock.set_clock(clock.FixedClock(now))
        if opening is not None:
            self.files[token] = _FileChecks(self, *opening)
        checks = self.files.get(token)
        if checks is None:
            return None
        try:
            answer = checks.next()
        except BaseException:
            checks.close()
            del self.files[token]
            raise
        if isinstance(answer, IngestSummary):
            del self.files[token]
        return answer


def _serve() -> None:
    """The second process: asks on stdin, answers on stdout (each a pickle after its length) in the
    order asked, until stdin closes."""
    gc.disable()  # as in the load's own process: many objects made, few kept
    load = _LoadChecks()
    asks, answers = sys.stdin.buffer, sys.stdout.buffer
    while len(head := asks.read(_LENGTH.size)) == _LENGTH.size:
        token, now, opening = pickle.loads(asks.read(_LENGTH.unpack(head)[0]))
        try:
            answer = (token, load.answer(token, now, opening))
        except Exception as exc:  # noqa: BLE001 - the file's reader raises it in the loading process
            exc.add_note(traceback.format_exc())  # notes are pickled; the traceback is not
            answer = (token, exc if _picklable(exc) else CheckingProcessFailed(traceback.format_exc()))
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        answers.write(_LENGTH.pack(len(data)) + data)
        answers.flush()


def _picklable(exc: BaseException) -> bool:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001
        return False
    return True


class CheckingProcess:
    """The second process, from the load's side. A thread takes its answers off the pipe as they come,
    so it checks ahead while this process is busy building the graph."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._arrived: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._reader: threading.Thread | None = None
        self._tokens = 0

    async def __aenter__(self) -> CheckingProcess:
        # This process's own path, not the working directory's (-P): a loaders/ or app/ package where
        # the load was started must not stand in for the project's.
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self._process = subprocess.Popen(
            [sys.executable, "-P", "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            # Out of the terminal's process group: Ctrl-C is the load's to handle, and the load ends
            # this process by closing its stdin (as a load that dies does).
            start_new_session=True,
        )
        with contextlib.suppress(AttributeError, OSError):  # Linux's larger pipe: fewer waits for the lock
            fcntl.fcntl(self._process.stdout.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)  # type: ignore[union-attr]
        loop = asyncio.get_running_loop()
        self._reader = threading.Thread(target=self._read, args=(loop,), name="first-load-checks", daemon=True)
        self._reader.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        process = self._process
        if process is None:
            return
        self._process = None
        if process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):  # it died first: nothing to tell it
                process.stdin.close()
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
        if self._reader is not None:
            await asyncio.to_thread(self._reader.join)

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._process is not None and self._process.stdout is not None
        answers = self._process.stdout
        with contextlib.suppress(RuntimeError):  # the loop closed first: nobody waits for answers
            while len(head := answers.read(_LENGTH.size)) == _LENGTH.size:
                size = _LENGTH.unpack(head)[0]
                if len(data := answers.read(size)) != size:
                    break  # cut off mid-answer: it died
                loop.call_soon_threadsafe(self._arrived.put_nowait, data)
            loop.call_soon_threadsafe(self._arrived.put_nowait, None)

    def _ask(self, token: int, opening: tuple[Any, ...] | None = None) -> None:
        assert self._process is not None and self._process.stdin is not None
        data = pickle.dumps((token, clock.now(), opening), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._process.stdin.write(_LENGTH.pack(len(data)) + data)
            self._process.stdin.flush()
        except BrokenPipeError:
            raise self._ended() from None

    def _ended(self) -> CheckingProcessFailed:
        code = None
        if self._process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self._process.wait(timeout=5)
        return CheckingProcessFailed(f"the process checking the load's rows ended (exit code {code}); see above")

    async def _answer(self, token: int) -> Any:
        """The next answer for ``token``; answers left over from a file given up on are passed by."""
        while True:
            data = await self._arrived.get()
            if data is None:
                self._arrived.put_nowait(None)
                raise self._ended()
            found, answer = pickle.loads(data)
            if found != token:
                continue
            if isinstance(answer, BaseException):
                raise answer
            return answer

    async def checked(
        self, path: Path, encoding: str, source: str, kind: str, batch_size: int
    ) -> AsyncIterator[tuple[int, list[Accepted]] | IngestSummary]:
        """A file's batches as (rows read, rows accepted), then its summary as far as checking goes
        (rows read, refused and set aside, its rejects and warnings files)."""
        token = self._tokens
        self._tokens += 1
        self._ask(token, (path, encoding, source, kind, batch_size))
        for _ in range(AHEAD - 1):
            self._ask(token)
        while True:
            answer = await self._answer(token)
            if isinstance(answer, IngestSummary):
                yield answer
                return
            self._ask(token)
            read, rows = answer
            yield read, [Accepted(rid, params) for rid, params in rows]


if __name__ == "__main__":
    # By its module's name, so what it pickles names loaders.checking_process, not __main__.
    from loaders.checking_process import _serve as serve

    serve()
