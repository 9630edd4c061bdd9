"""A first load's rows read, checked and refused in two more processes, while this one builds and writes the graph.

Python runs one thread at a time: the reading thread of an ordinary ingest and the graph's building took
turns on one core while the other mostly idled. Into an empty graph every reference is to a record the
same load accepted before, so the checks need no store, and the whole of a file's checking can move:
a checking process reads each file, checks its rows (loaders.ingest.prepare_rows, the rules every path
uses), checks their references against the records the load accepted before in the files they can name,
and writes the rejects and warnings files; this process gets each batch's accepted rows as ``(record
id, statement parameters)`` pairs, the least that crosses between processes, and at the file's end its
counts.

One checking process was the load's slowest part. Two take the files between them: a file goes to a
free process once every earlier file it can refer to is checked (:func:`referenced_files`), so the
crm bills are checked beside the crm subscriptions, and the hall's customers beside the crm's. The
accepted ids of a file that others refer to pass between the processes through a file in a directory
of the load's own. This process takes the files' rows in :func:`adding_order`: employees and
customers ahead of the rest where the manifest allows, so the customer records are linked early.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gc
import os
import pickle
import secrets
import struct
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, cast

from app import clock
from app.errors import C360Error
from app.record_kinds import KINDS
from app.services.source_records import RecordWriter
from app.store import Store
from app.store.base import EncodedNodes, NodeBlock
from loaders.accepted_ids import AcceptedIds, FileIds, KnownBefore
from loaders.formats import read_rows
from loaders.ingest import IngestSummary, RejectWriter, batches, note_checked, prepare_rows, rejects_path, warnings_path
from loaders.manifest import ManifestEntry

# An ask: its length. An answer: its length, then the file's number and what it is (below), so this
# process routes answers to their files without reading them.
_LENGTH = struct.Struct("<Q")
_ANSWER = struct.Struct("<QIB")
_BATCH, _SUMMARY, _FAILED, _NOTHING = range(4)
# An answer is a few megabytes; a pipe of a megabyte (Linux's most without privileges) takes it in a
# few reads, each of which waits for this process's interpreter lock.
_PIPE_BYTES = 1 << 20
PROCESSES = 2
# Batches a file may be checked ahead of the graph's building: a file taken ahead waits, checked this
# far, until this process comes to it (some tens of megabytes).
AHEAD = 40
# In a session of its own, each checking process is an autogroup of Linux's scheduler, with as much of
# the machine as the loading process's whole group: the graph's building and the store fell behind and
# finished long after the checks (files 68-70 s against 63-64 at this nice, 100,000-person demo).
_AUTOGROUP_NICE = 10
# Batches arrived and not yet taken above which no file is opened ahead: at AHEAD alone (what the file
# being added may have waiting) a load took 125.7 s instead of 91-102; the bytes of a batch are a few
# megabytes at most.
WAITING = 4 * AHEAD
# The kinds other kinds refer to: the ids (or, for subscriptions, the service numbers) a file of one
# of these leaves for the files after it.
REFERRED_TO = frozenset(target.split(".")[0] for spec in KINDS.values() for target in spec.references.values())


class CheckingProcessFailed(C360Error):
    """A checking process ended, or failed in a way it could not send back as its own error: not a
    fault of the files."""

    code = "LOAD_CHECKS_FAILED"


class Accepted(NamedTuple):
    """A row to write: its record id and its statement's parameters (services.source_records)."""

    rid: str
    params: Any


def refers_to(entry: ManifestEntry, other: ManifestEntry) -> bool:
    """Whether rows of ``entry`` can name records of ``other``: of the kinds it refers to, in its own
    source (a customer's manager, an account's customer), or a subscription's service number of any
    source."""
    targets = KINDS[entry.kind].references.values()
    return (other.source == entry.source and other.kind in targets) or f"{other.kind}.service_no" in targets


def referenced_files(entries: Sequence[ManifestEntry], index: int) -> tuple[int, ...]:
    """The earlier files whose records the file at ``index`` can name (:func:`refers_to`). A record of a
    later file does not exist yet, as on the Cypher path, which loads in the manifest's order."""
    entry = entries[index]
    return tuple(number for number, earlier in enumerate(entries[:index]) if refers_to(entry, earlier))


# What a first load adds ahead of the rest where the manifest allows: the customer records, and the
# employees they name as managers.
ADDED_AHEAD = {"employees": 0, "customers": 1}


def adding_order(entries: Sequence[ManifestEntry]) -> list[int]:
    """The manifest's files in the order a first load adds them: employees and customers first, so the
    customer records are normalised and linked while the accounts, bills and contacts are still read. A
    file goes ahead of an earlier one only when neither can name the other's records: every row finds
    exactly the records the manifest's order gives it, and the files not added ahead keep their order."""
    rank = [ADDED_AHEAD.get(entry.kind, len(ADDED_AHEAD)) for entry in entries]
    after = [
        {n for n, earlier in enumerate(entries[:number]) if refers_to(entry, earlier) or refers_to(earlier, entry)}
        for number, entry in enumerate(entries)
    ]
    order: list[int] = []
    placed: set[int] = set()
    while len(order) < len(entries):
        number = min(
            (n for n in range(len(entries)) if n not in placed and after[n] <= placed), key=lambda n: (rank[n], n)
        )
        order.append(number)
        placed.add(number)
    return order


class LoadedBefore(RecordWriter):
    """References checked against the records this load accepted before: in a graph that was empty,
    nothing else exists. It writes nothing; the first load's graph does."""

    def __init__(self, source: str, kind: str, known: KnownBefore, service_numbers: KnownBefore) -> None:
        super().__init__(cast(Store, None), source, kind, known)  # never asked: both lookups answer here
        self.known_service_numbers = service_numbers

    async def _existing(self, ids: Iterable[str]) -> dict[str, str | None]:
        return {}

    async def _existing_numbers(self, numbers: set[str]) -> list[str]:
        return []


class Opening(NamedTuple):
    """What a checking process needs to begin a file: the manifest's line, the batch size, the files
    it can refer to (referenced_files), where the accepted ids of checked files are left, and the
    store's bulk encoder, when the store takes source records encoded here (Store.bulk_encoder)."""

    path: Path
    encoding: str
    source: str
    kind: str
    batch_size: int
    referenced: tuple[int, ...]
    shared: Path
    encoder: Callable[[NodeBlock], bytes] | None = None
    # Stands for the time the loading process adds the batch, which it writes in its place (EncodedNodes).
    stamp: str = ""


class _FileChecks:
    """One file in a checking process: its batches, the ids seen in it, its rejects and warnings."""

    def __init__(self, load: _LoadChecks, number: int, opening: Opening) -> None:
        self.load, self.number, self.kind = load, number, opening.kind
        self.shared = opening.shared
        # A customers file's source records are positional rows the loading process reads anyway.
        self.encoder = opening.encoder if opening.kind != "customers" else None
        self.stamp = opening.stamp
        self.summary = IngestSummary(source=opening.source, kind=opening.kind, path=str(opening.path))
        self.rows = batches(read_rows(opening.path, opening.encoding), opening.batch_size)
        self.seen = FileIds()
        earlier = [load.accepted_in(number, opening.shared) for number in opening.referenced]
        self.references = LoadedBefore(
            opening.source,
            opening.kind,
            KnownBefore(ids for ids, _ in earlier),
            KnownBefore(numbers for _, numbers in earlier),
        )
        # What later files may refer to: the accepted ids, and a subscription's service number.
        self.accepted: set[str] = set()
        self.service_numbers: set[str] = set()
        self.reject = RejectWriter(rejects_path(opening.path))
        self.warned = RejectWriter(warnings_path(opening.path), issues=False)

    def next(self) -> tuple[int, list[tuple[str, Any]], EncodedNodes | None] | IngestSummary:
        """A batch's rows read and accepted, with their source records encoded for the store when it
        takes them so (then left out of the rows: they are most of what would cross); at the file's end,
        its summary as far as checking goes."""
        raw = next(self.rows, None)
        if raw is None:
            self.close()
            self.summary.note_rejects(self.reject, self.warned)
            self.load.leave(self)
            return self.summary
        self.summary.read += len(raw)
        prepared, refused = prepare_rows(self.references.source, self.kind, raw, self.seen)
        for line, source_id, problems, row in refused:
            self.reject.add(line, source_id, problems, row)
        accepted, unknown = self.load.loop.run_until_complete(self.references.check_references(prepared))
        note_checked(accepted, unknown, self.reject, self.warned)
        if self.kind in REFERRED_TO:
            self.accepted.update(row.rid for row in accepted)
            if self.kind == "subscriptions":
                self.service_numbers.update(row.params["node"]["service_no"] for row in accepted)  # type: ignore[call-overload]
        rows = [(row.rid, row.params) for row in accepted]
        if self.encoder is None or not rows:
            return len(raw), rows, None
        from loaders.first_load import source_records_block  # it imports this module

        records = [params.pop("record") for _, params in rows]  # type: ignore[union-attr]
        block = source_records_block(records, self.stamp)
        encoded = EncodedNodes(block.label, block.count, self.encoder(block), (records[0]["id"], records[-1]["id"]))
        return len(raw), rows, encoded

    def close(self) -> None:
        self.reject.close()
        self.warned.close()


class _LoadChecks:
    """A checking process's side of a load: its open files, and the accepted ids and service numbers
    of the files checked so far that later files can refer to, its own and the other process's."""

    def __init__(self) -> None:
        self.files: dict[int, _FileChecks] = {}
        self.checked: dict[int, tuple[AcceptedIds, AcceptedIds]] = {}
        self.loop = asyncio.new_event_loop()

    def accepted_in(self, number: int, shared: Path) -> tuple[AcceptedIds, AcceptedIds]:
        found = self.checked.get(number)
        if found is None:
            with (shared / f"{number}.ids").open("rb") as handle:
                found = self.checked[number] = pickle.load(handle)
        return found

    def leave(self, checks: _FileChecks) -> None:
        """A checked file's ids kept, and left for the other process, before its summary is sent: the
        loading process opens a file that refers to this one only once the summary has come."""
        if checks.kind not in REFERRED_TO:
            return
        found = self.checked[checks.number] = (AcceptedIds(checks.accepted), AcceptedIds(checks.service_numbers))
        checks.accepted, checks.service_numbers = set(), set()
        written = checks.shared / f"{checks.number}.ids.part"
        with written.open("wb") as handle:
            pickle.dump(found, handle, protocol=pickle.HIGHEST_PROTOCOL)
        written.rename(checks.shared / f"{checks.number}.ids")

    def answer(self, number: int, now: datetime, opening: Opening | None) -> Any:
        """A file's next batch, checked as of the asking process's now (a fixed or demo clock is not this
        process's own). The first ask opens the file; asks made ahead past its end find nothing more."""
        clock.set_clock(clock.FixedClock(now))
        if opening is not None:
            self.files[number] = _FileChecks(self, number, opening)
        checks = self.files.get(number)
        if checks is None:
            return None
        try:
            answer = checks.next()
        except BaseException:
            checks.close()
            del self.files[number]
            raise
        if isinstance(answer, IngestSummary):
            del self.files[number]
        return answer


def _serve(answers_fd: int) -> None:
    """A checking process: asks on stdin, answers on a pipe of their own (``answers_fd``) in the order
    asked, until stdin closes. Whatever prints to stdout, from the interpreter's start on (a site
    module, a library as it is imported, a profiler), goes to the load's stderr, not into the answers."""
    gc.disable()  # as in the load's own process: many objects made, few kept
    with contextlib.suppress(OSError):  # not Linux, or no autogroups
        Path("/proc/self/autogroup").write_text(str(_AUTOGROUP_NICE))
    load = _LoadChecks()
    answers = os.fdopen(answers_fd, "wb")
    asks = sys.stdin.buffer
    while len(head := asks.read(_LENGTH.size)) == _LENGTH.size:
        number, now, opening = pickle.loads(asks.read(_LENGTH.unpack(head)[0]))
        try:
            answer = load.answer(number, now, opening)
            what = _NOTHING if answer is None else _SUMMARY if isinstance(answer, IngestSummary) else _BATCH
        except Exception as exc:  # noqa: BLE001 - the file's reader raises it in the loading process
            exc.add_note(traceback.format_exc())  # notes are pickled; the traceback is not
            answer = exc if _picklable(exc) else CheckingProcessFailed(traceback.format_exc())
            what = _FAILED
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        answers.write(_ANSWER.pack(len(data), number, what) + data)
        answers.flush()


def _picklable(exc: BaseException) -> bool:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001
        return False
    return True


def _stderr() -> int:
    """This process's stderr, where a checking process's prints go; nowhere when there is none."""
    try:
        return sys.__stderr__.fileno()  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return subprocess.DEVNULL


# What a checking process sent: the file's number, what the answer is, the answer as sent; None when
# the process ended.
Arrival = tuple[int, int, bytes] | None


class CheckingProcess:
    """One checking process, from the load's side. A thread takes its answers off the pipe as they
    come, so it checks ahead while this process is busy building the graph, and hands each to
    ``arrived`` in the event loop."""

    def __init__(self, arrived: Callable[[CheckingProcess, Arrival], None]) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._answers: BinaryIO | None = None
        self._reader: threading.Thread | None = None
        self._arrived = arrived
        # The files open in it, by number.
        self.files: set[int] = set()
        self.ended = False

    def start(self) -> None:
        # This process's own path, not the working directory's (-P): a loaders/ or app/ package where
        # the load was started must not stand in for the project's.
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        answers, answered = os.pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-P", "-m", __name__, str(answered)],
                stdin=subprocess.PIPE,
                stdout=_stderr(),
                pass_fds=(answered,),
                env=env,
                # Out of the terminal's process group: Ctrl-C is the load's to handle, and the load ends
                # this process by closing its stdin (as a load that dies does).
                start_new_session=True,
            )
        except BaseException:
            os.close(answers)
            raise
        finally:
            os.close(answered)
        self._answers = os.fdopen(answers, "rb")
        with contextlib.suppress(AttributeError, OSError):  # Linux's larger pipe: fewer waits for the lock
            fcntl.fcntl(answers, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        loop = asyncio.get_running_loop()
        self._reader = threading.Thread(target=self._read, args=(loop,), name="first-load-checks", daemon=True)
        self._reader.start()

    async def stop(self, at_once: bool = False) -> None:
        process = self._process
        if process is None:
            return
        self._process = None
        if at_once:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
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
        if self._answers is not None:
            self._answers.close()
            self._answers = None

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._answers is not None
        answers = self._answers
        with contextlib.suppress(RuntimeError):  # the loop closed first: nobody waits for answers
            while len(head := answers.read(_ANSWER.size)) == _ANSWER.size:
                size, number, what = _ANSWER.unpack(head)
                if len(data := answers.read(size)) != size:
                    break  # cut off mid-answer: it died
                loop.call_soon_threadsafe(self._arrived, self, (number, what, data))
            loop.call_soon_threadsafe(self._arrived, self, None)

    def ask(self, number: int, opening: Opening | None = None) -> None:
        if self._process is None or self._process.stdin is None:
            return  # stopped: the load is ending
        data = pickle.dumps((number, clock.now(), opening), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._process.stdin.write(_LENGTH.pack(len(data)) + data)
            self._process.stdin.flush()
        except BrokenPipeError:
            self.ended = True  # its reader hears of it and fails the files it had

    def failure(self) -> CheckingProcessFailed:
        code = None
        if self._process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self._process.wait(timeout=5)
        return CheckingProcessFailed(f"the process checking the load's rows ended (exit code {code}); see above")


class LoadChecking:
    """The checking processes of one first load and the files between them. A file is opened in a
    free process once the files it refers to are checked, the earliest first; the file this process
    waits for is opened at once, in either process, so taking files ahead never keeps it waiting."""

    def __init__(
        self,
        entries: Sequence[ManifestEntry],
        batch_size: int,
        encoder: Callable[[NodeBlock], bytes] | None = None,
        processes: int = PROCESSES,
    ) -> None:
        self.entries = entries
        self.batch_size = batch_size
        self.encoder = encoder
        self.stamp = f"c360-stamp-{secrets.token_hex(16)}"
        self.referenced = [referenced_files(entries, number) for number in range(len(entries))]
        self._processes = [CheckingProcess(self._arrived) for _ in range(processes)]
        self._answers: list[asyncio.Queue[tuple[int, bytes] | BaseException]] = [asyncio.Queue() for _ in entries]
        self._in: dict[int, CheckingProcess] = {}
        self._checked: set[int] = set()
        self._shared: tempfile.TemporaryDirectory[str] | None = None
        self._closing = False
        # Batches arrived and not yet taken: files are opened ahead only while not too many are (WAITING).
        self._waiting = 0

    async def __aenter__(self) -> LoadChecking:
        self._shared = tempfile.TemporaryDirectory(prefix="c360-checks-", ignore_cleanup_errors=True)
        try:
            for process in self._processes:
                process.start()
            self._schedule()
        except BaseException as exc:
            await self.__aexit__(type(exc))
            raise
        return self

    async def __aexit__(self, kind: type[BaseException] | None = None, *_: object) -> None:
        """A failed or cancelled load ends the processes at once (they may have files half checked
        ahead); a finished one lets them end on their own. Both are waited for together."""
        self._closing = True
        try:
            await asyncio.shield(
                asyncio.gather(*(process.stop(at_once=kind is not None) for process in self._processes))
            )
        finally:
            if self._shared is not None:
                self._shared.cleanup()
                self._shared = None

    @property
    def placement(self) -> dict[int, int]:
        """Which process took each file, by their numbers."""
        return {number: self._processes.index(process) for number, process in self._in.items()}

    def stamped(self, encoded: EncodedNodes, now: str) -> EncodedNodes:
        """A batch's source records stamped ``now``, when this process adds them, as the Cypher path
        stamps a batch when it writes it: they were encoded, maybe long before, with ``stamp``."""
        encoded.section = encoded.section.replace(self.stamp.encode(), now.encode())
        return encoded

    def _open(self, number: int, process: CheckingProcess) -> None:
        entry = self.entries[number]
        assert self._shared is not None
        opening = Opening(
            entry.path,
            entry.encoding,
            entry.source,
            entry.kind,
            self.batch_size,
            self.referenced[number],
            Path(self._shared.name),
            self.encoder,
            self.stamp,
        )
        self._in[number] = process
        process.files.add(number)
        process.ask(number, opening)
        for _ in range(AHEAD - 1):
            process.ask(number)

    def _schedule(self, wanted: int | None = None) -> None:
        """Free processes take the earliest files they can; the file ``wanted`` now is opened anyway."""
        live = [process for process in self._processes if not process.ended]
        if not live:
            return
        for process in live:
            if process.files or self._waiting >= WAITING:
                continue
            ready = next(
                (
                    number
                    for number in range(len(self.entries))
                    if number not in self._in and all(earlier in self._checked for earlier in self.referenced[number])
                ),
                None,
            )
            if ready is None:
                break
            self._open(ready, process)
        if wanted is not None and wanted not in self._in:
            self._open(wanted, min(live, key=lambda process: len(process.files)))

    def _arrived(self, process: CheckingProcess, arrival: Arrival) -> None:
        if self._closing:
            return
        try:
            self._take(process, arrival)
        except Exception as exc:  # noqa: BLE001 - raised to the load by every file not done
            failure = CheckingProcessFailed(f"the load's checks could not go on: {exc!r}")
            for number, answers in enumerate(self._answers):
                if number not in self._checked:
                    answers.put_nowait(failure)

    def _take(self, process: CheckingProcess, arrival: Arrival) -> None:
        if arrival is None:
            process.ended = True
            # A process that died (the out-of-memory killer, say) fails the load, whatever it held.
            failure = process.failure()
            for number, answers in enumerate(self._answers):
                if number not in self._checked:
                    answers.put_nowait(failure)
            process.files.clear()
            return
        number, what, data = arrival
        if what == _NOTHING:
            return
        self._answers[number].put_nowait((what, data))
        if what == _BATCH:
            self._waiting += 1
        if what in (_SUMMARY, _FAILED):
            process.files.discard(number)
            if what == _SUMMARY:
                self._checked.add(number)
            self._schedule()

    async def checked(
        self, number: int
    ) -> AsyncIterator[tuple[int, list[Accepted], EncodedNodes | None] | IngestSummary]:
        """The file's batches as (rows read, rows accepted, their source records encoded or None), then
        its summary as far as checking goes (rows read, refused and set aside, its rejects and warnings
        files)."""
        self._schedule(wanted=number)
        answers = self._answers[number]
        while True:
            arrival = await answers.get()
            if isinstance(arrival, BaseException):
                raise arrival
            what, data = arrival
            answer = pickle.loads(data)
            if what == _FAILED:
                raise answer
            if what == _SUMMARY:
                yield answer
                return
            self._waiting -= 1
            process = self._in[number]
            if not process.ended:
                process.ask(number)
            self._schedule()
            read, rows, encoded = answer
            yield read, [Accepted(rid, params) for rid, params in rows], encoded


if __name__ == "__main__":
    # By its module's name, so what it pickles names loaders.checking_process, not __main__.
    from loaders.checking_process import _serve as serve

    serve(int(sys.argv[1]))
