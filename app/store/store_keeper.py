"""The store keeper: owns the embedded server that CLI commands start, so the next command attaches
to a server that has its graph loaded already instead of reading the snapshot again (41 s for a
million records). It restarts the server if it dies, and stops it (flushing the append-only file)
once no client has been connected for the idle time, on SIGTERM (`c360 store stop`) or SIGINT.

    python -m app.store.store_keeper DATA_DIR --idle SECONDS [--start-timeout SECONDS]

Started by :class:`app.store.falkordb_server.EmbeddedServer` when its ``keep_seconds`` is set; a
keeper that finds another process owning the server exits at once.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import stat
import threading
import time
from pathlib import Path
from types import FrameType

from app.errors import StoreError
from app.store.falkordb_server import (
    KEEPER_PID_NAME,
    SERVER_PID_NAME,
    SOCKET_NAME,
    STOP_SECONDS,
    EmbeddedServer,
    connected_clients,
    ping,
    rewriting,
    server_info,
)

log = logging.getLogger("app.store.store_keeper")
# How often the keeper looks at the server: a crash is noticed, and idleness measured, this finely.
LOOK_EVERY = 0.5


def keeper_pid(data_dir: Path) -> int | None:
    """The pid of the keeper running for ``data_dir``, None when there is none."""
    try:
        pid = int((data_dir / KEEPER_PID_NAME).read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def stop_kept_store(data_dir: Path, timeout: float = STOP_SECONDS) -> str:
    """Ask the keeper of ``data_dir``'s store to stop it and wait until it has (a rewrite of its
    append-only file a command left running is waited for first); says what it did."""
    socket_path = data_dir.resolve() / SOCKET_NAME
    pid = keeper_pid(data_dir)
    if pid is None:
        if ping(socket_path) and EmbeddedServer(data_dir).stop_orphan(in_use_too=True):
            return "stopped a store whose owner had died"
        if ping(socket_path):
            raise StoreError(
                f"the store on {socket_path} is owned by a running process (c360 serve or c360 run), "
                "not a keeper: stop that process instead",
                backend="embedded",
            )
        return "no store running"
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if keeper_pid(data_dir) is None and not ping(socket_path):
            return f"store stopped (its keeper was pid {pid})"
        time.sleep(0.1)
    raise StoreError(f"the store keeper (pid {pid}) did not stop within {timeout:g} s", backend="embedded")


def keep(server: EmbeddedServer, idle_seconds: float, stop: threading.Event, directory: tuple[int, int] | None) -> str:
    """Keep ``server`` answering until it has had no client for ``idle_seconds``, ``stop`` is set or
    its data ``directory`` (as it was at the start) is gone; returns why it stopped. The keeper's own
    question about clients is not counted."""
    last_client = time.monotonic()
    while not stop.wait(LOOK_EVERY):
        now = _identity(server.data_dir)
        if now is None:
            return f"its data directory {server.data_dir} is gone"
        if now != directory:
            # Removed and made again: the socket a client finds there is not this server's, so none
            # would ever be counted and the server would be kept for good.
            return f"its data directory {server.data_dir} was replaced"
        if server.exit_status() is not None:
            server.recover()
            last_client = time.monotonic()
            continue
        clients = connected_clients(server.socket_path)
        if clients is None or clients > 1 or rewrite_running(server.socket_path):
            # A rewrite a command left running counts as use: stopped, the server would drop it.
            last_client = time.monotonic()
        elif time.monotonic() - last_client >= idle_seconds:
            return f"no client for {idle_seconds:g} s"
    return "asked to stop"


def rewrite_running(socket_path: Path) -> bool:
    found = server_info(socket_path, "persistence")
    return found is not None and rewriting(found)


def _identity(directory: Path) -> tuple[int, int] | None:
    try:
        found = directory.stat()
    except OSError:  # gone, or no longer reachable: either way no client finds it there
        return None
    return (found.st_dev, found.st_ino) if stat.S_ISDIR(found.st_mode) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.store.store_keeper", description=__doc__)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--idle", type=float, required=True, help="Stop after this many seconds without a client.")
    parser.add_argument("--start-timeout", type=float, default=180.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = EmbeddedServer(args.data_dir, start_timeout=args.start_timeout)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        server.abort()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.ensure_running()
    if not server.owned:
        log.info("another process owns the store on %s; this keeper is not needed", server.socket_path)
        return 0
    pid_file = server.data_dir / KEEPER_PID_NAME
    pid_file.write_text(f"{os.getpid()}\n")
    log.info("keeping the store on %s (pid %s) until %g s without a client", server.socket_path, os.getpid(), args.idle)
    directory = _identity(server.data_dir)
    # The directory itself, whatever its name becomes: a moved one's files are removed from it alone.
    held = os.open(server.data_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        why = keep(server, args.idle, stop, directory)
        log.info("stopping the store: %s", why)
    finally:
        if _identity(server.data_dir) == directory:
            server.stop()
            pid_file.unlink(missing_ok=True)
        else:
            # The paths may be a new store's by now: killed, Redis removes nothing by path.
            server.stop(graceful=False)
            for name in (SOCKET_NAME, SERVER_PID_NAME, KEEPER_PID_NAME):
                with contextlib.suppress(OSError):
                    os.unlink(name, dir_fd=held)
        os.close(held)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
