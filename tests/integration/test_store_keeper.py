"""CLI commands leave the embedded store running for the next command (issue 22, item 3): real `c360`
processes on a directory of their own, with C360_STORE_KEEP_SECONDS switched on."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.store.embedded import EmbeddedStore
from app.store.falkordb_server import KEEPER_LOG_NAME, SOCKET_NAME, ping, shut_down
from app.store.store_keeper import keeper_pid
from tests.conftest import NEO4J_VARIABLES
from tests.integration.test_ingest import CUSTOMER_HEADER, customer, resident_id, write_csv


def cli(data_dir: Path, *args: str, keep: str = "60") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in NEO4J_VARIABLES}
    env.update(C360_DATA_DIR=str(data_dir), C360_STORE_KEEP_SECONDS=keep)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def server_pid(data_dir: Path) -> int:
    return int((data_dir / "falkordb.pid").read_text())


def wait_until(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def count(data_dir: Path, keep: str = "60") -> int:
    """Customer source records in the graph, read by a `c360 cypher` command."""
    query = data_dir.parent / f"{data_dir.name}-count.cypher"
    query.write_text("MATCH (r:SourceRecord) RETURN count(r) AS n")
    done = cli(data_dir, "cypher", str(query), "--format", "csv", keep=keep)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # A short path: a Unix socket's path has a 107-byte limit.
    folder = Path(tempfile.mkdtemp(prefix="c360-keep-", dir="/tmp"))
    yield folder
    pid = keeper_pid(folder)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        wait_until(lambda: keeper_pid(folder) is None, 30)
    shutil.rmtree(folder, ignore_errors=True)
    (folder.parent / f"{folder.name}-count.cypher").unlink(missing_ok=True)


@pytest.fixture
def customers_file(tmp_path: Path) -> Path:
    rows = [customer(f"k{i}", f"客户{i}", resident_id(f"350102198503021{i:02d}"), "resident_id") for i in range(3)]
    return write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, rows)


def test_a_command_leaves_the_store_for_the_next_which_finds_its_data(data_dir: Path, customers_file: Path) -> None:
    first = cli(data_dir, "ingest", str(customers_file), "--source", "crm", "--kind", "customers")
    assert first.returncode == 0, first.stderr
    assert ping(data_dir / SOCKET_NAME), "the store stopped with the command"
    pid, keeper = server_pid(data_dir), keeper_pid(data_dir)
    assert keeper is not None

    assert count(data_dir) == 3
    assert server_pid(data_dir) == pid, "the second command started a server of its own"
    assert keeper_pid(data_dir) == keeper

    stopped = cli(data_dir, "store", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert f"keeper was pid {keeper}" in stopped.stdout
    assert not ping(data_dir / SOCKET_NAME)
    assert keeper_pid(data_dir) is None
    # The keeper flushed the append-only file: a store started afresh reads the same records.
    assert count(data_dir, keep="0") == 3
    assert not ping(data_dir / SOCKET_NAME), "with C360_STORE_KEEP_SECONDS=0 the command stops its store"
    assert cli(data_dir, "store", "stop").stdout.strip() == "no store running"


def test_the_store_stops_after_its_idle_time_but_not_while_a_client_is_connected(data_dir: Path) -> None:
    assert cli(data_dir, "store", "health", keep="1.5").returncode == 0
    assert ping(data_dir / SOCKET_NAME)

    async def hold() -> None:
        store = EmbeddedStore(data_dir)
        await store.start()
        assert not store.server.owned
        try:
            time.sleep(4)  # blocking on purpose: the client stays connected, idle
            assert ping(data_dir / SOCKET_NAME), "stopped under a connected client"
        finally:
            await store.close()
        assert ping(data_dir / SOCKET_NAME), "an attached client's close stopped the keeper's store"

    asyncio.run(hold())
    assert wait_until(lambda: not ping(data_dir / SOCKET_NAME) and keeper_pid(data_dir) is None, 15)
    assert "no client for 1.5 s" in (data_dir / KEEPER_LOG_NAME).read_text()


def test_the_keeper_stops_its_store_when_the_data_directory_is_replaced(data_dir: Path) -> None:
    """Removed and made again under a running store: no client could ever reach that store again."""
    assert cli(data_dir, "store", "health").returncode == 0
    server = server_pid(data_dir)
    moved = data_dir.with_name(data_dir.name + "-old")
    data_dir.rename(moved)
    data_dir.mkdir()
    try:
        assert wait_until(lambda: not Path(f"/proc/{server}").exists(), 20), "the store was kept"
        assert "was replaced" in (moved / KEEPER_LOG_NAME).read_text()
        # Its files go from where they are now, so no later `c360 store stop` there signals a reused pid.
        assert wait_until(lambda: keeper_pid(moved) is None, 20)
        assert not [p.name for p in moved.iterdir() if p.name in (SOCKET_NAME, "falkordb.pid", "store-keeper.pid")]
    finally:
        kept = keeper_pid(moved)
        if kept is not None:
            os.kill(kept, signal.SIGTERM)
            wait_until(lambda: keeper_pid(moved) is None, 30)
        shutil.rmtree(moved, ignore_errors=True)


def test_a_store_in_a_data_directory_made_anew_outlives_the_old_store(data_dir: Path) -> None:
    """Removed and made again, and a store started in it at once: the old keeper's store goes without
    taking the new one's socket and pid files with it (Redis removes them by path when it shuts down)."""
    assert cli(data_dir, "store", "health").returncode == 0
    old_server, old_keeper = server_pid(data_dir), keeper_pid(data_dir)
    shutil.rmtree(data_dir)
    data_dir.mkdir()
    assert cli(data_dir, "store", "health").returncode == 0
    new_server, new_keeper = server_pid(data_dir), keeper_pid(data_dir)
    assert new_server != old_server and new_keeper not in (None, old_keeper)
    assert wait_until(lambda: not Path(f"/proc/{old_server}").exists(), 20), "the old store was kept"
    assert wait_until(lambda: not Path(f"/proc/{old_keeper}").exists(), 20), "the old keeper was kept"
    assert (data_dir / SOCKET_NAME).exists() and ping(data_dir / SOCKET_NAME)
    assert server_pid(data_dir) == new_server and keeper_pid(data_dir) == new_keeper
    started = time.monotonic()
    done = cli(data_dir, "store", "health")
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 20


def test_the_keeper_restarts_a_store_that_dies(data_dir: Path, customers_file: Path) -> None:
    assert cli(data_dir, "ingest", str(customers_file), "--source", "crm", "--kind", "customers").returncode == 0
    dead = server_pid(data_dir)
    time.sleep(1.2)  # the append-only file is written every second
    os.kill(dead, signal.SIGKILL)
    assert wait_until(lambda: ping(data_dir / SOCKET_NAME) and server_pid(data_dir) != dead, 30)
    assert count(data_dir) == 3


def test_commands_started_together_share_one_store(data_dir: Path) -> None:
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: cli(data_dir, "store", "health"), range(3)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]

    def keepers() -> list[str]:
        found = subprocess.run(["pgrep", "-f", f"app.store.store_keeper {data_dir}"], capture_output=True, text=True)
        return found.stdout.split()

    # A command attaches once the store answers; a keeper that lost the start to another's may still be
    # finding out that it is not needed, and then exits on its own.
    assert wait_until(lambda: len(keepers()) == 1, 20), keepers()
    assert ping(data_dir / SOCKET_NAME)


def test_stop_refuses_a_store_another_process_owns(data_dir: Path) -> None:
    async def owned() -> subprocess.CompletedProcess[str]:
        store = EmbeddedStore(data_dir)
        await store.start()
        try:
            assert store.server.owned
            return cli(data_dir, "store", "stop")
        finally:
            await store.close()

    refused = asyncio.run(owned())
    assert refused.returncode == 1
    assert "owned by a running process" in refused.stderr


def test_an_attached_process_takes_a_busy_store_for_busy_not_dead(data_dir: Path) -> None:
    """A server deep in a long write answers nothing until it is done (stood in for by SIGSTOP); an
    attached process that took that for death failed a 15,000-record resolution mid-write."""
    assert cli(data_dir, "store", "health").returncode == 0
    server = server_pid(data_dir)

    async def attached_through_a_pause() -> str | None:
        store = EmbeddedStore(data_dir, watch_every=0.2)
        await store.start()
        assert not store.server.owned
        try:
            os.kill(server, signal.SIGSTOP)
            try:
                await asyncio.sleep(2.0)
                seen = store.down
            finally:
                os.kill(server, signal.SIGCONT)
            assert (await store.health()).ok
            return seen
        finally:
            await store.close()

    assert asyncio.run(attached_through_a_pause()) is None
    assert server_pid(data_dir) == server, "the keeper restarted a server that was only busy"


OWNER = """
import asyncio, sys, time
from pathlib import Path
from app.store import CypherQuery
from app.store.embedded import EmbeddedStore

async def main() -> None:
    store = EmbeddedStore(Path(sys.argv[1]))
    await store.start()
    assert store.server.owned
    await store.setup_schema()
    await store.write(CypherQuery("t", "CREATE (:SourceRecord {id: 'kept'})"))
    print("ready", flush=True)
    time.sleep(600)

asyncio.run(main())
"""


def orphaned_store(data_dir: Path) -> int:
    """A store whose owner (a process that started it itself) was killed: the server's pid."""
    env = {k: v for k, v in os.environ.items() if k not in NEO4J_VARIABLES}
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(data_dir)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None and owner.stdout.readline().strip() == "ready"
        time.sleep(1.2)  # the append-only file is written every second
    finally:
        owner.kill()
        owner.wait()
    assert ping(data_dir / SOCKET_NAME), "the server went with its owner"
    return server_pid(data_dir)


def test_stop_stops_a_store_whose_owner_died(data_dir: Path) -> None:
    orphan = orphaned_store(data_dir)
    try:
        stopped = cli(data_dir, "store", "stop")
        assert stopped.returncode == 0, stopped.stderr
        assert "owner had died" in stopped.stdout
        assert not ping(data_dir / SOCKET_NAME)
    finally:
        shut_down(data_dir / SOCKET_NAME)
    assert wait_until(lambda: not Path(f"/proc/{orphan}").exists(), 10), "the ownerless server still runs"
    assert count(data_dir, keep="0") == 1, "the write before the owner died was lost"


def test_a_command_puts_a_store_whose_owner_died_under_a_keeper(data_dir: Path) -> None:
    orphan = orphaned_store(data_dir)
    try:
        assert count(data_dir) == 1
        assert keeper_pid(data_dir) is not None, "no keeper took the ownerless store on"
        assert server_pid(data_dir) != orphan
    finally:
        shut_down(data_dir / SOCKET_NAME)


def server_command(data_dir: Path, *words: str) -> bytes:
    """One command to the store's server over its socket, its raw reply."""
    request = b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w.encode()) for w in words)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(data_dir / SOCKET_NAME))
        sock.sendall(request)
        return sock.recv(65536)


def base_sequence(data_dir: Path) -> int:
    """The append-only file's snapshot number: each finished rewrite makes the next."""
    manifest = (data_dir / "appendonlydir" / "c360.aof.manifest").read_text()
    return max(int(line.split()[3]) for line in manifest.splitlines() if line.split()[-1] == "b")


def ingest_one(data_dir: Path, folder: Path, source_id: str, name: str) -> subprocess.CompletedProcess[str]:
    """A real `c360 ingest` of a customers file of one row."""
    path = write_csv(folder / f"{source_id}.csv", CUSTOMER_HEADER, [customer(source_id, name, "", "")])
    return cli(data_dir, "ingest", str(path), "--source", "crm", "--kind", "customers")


def test_a_command_leaves_its_compaction_running_and_a_stop_lets_it_finish(data_dir: Path, tmp_path: Path) -> None:
    """A command attached to a kept store starts the rewrite of the append-only file and returns (the
    graph is whole and answering); the keeper lets the rewrite finish before it stops the server, or
    the next start would replay every statement since the last snapshot."""
    first = ingest_one(data_dir, tmp_path, "a1", "甲")
    assert first.returncode == 0, first.stderr
    assert wait_until(lambda: b"aof_rewrite_in_progress:0" in server_command(data_dir, "INFO", "persistence"), 30)
    # Each key the rewrite saves now takes ten seconds: longer than the second command takes to end.
    assert server_command(data_dir, "CONFIG", "SET", "rdb-key-save-delay", "10000000").startswith(b"+OK")
    before = base_sequence(data_dir)
    second = ingest_one(data_dir, tmp_path, "b1", "乙")
    assert second.returncode == 0, second.stderr
    assert b"aof_rewrite_in_progress:1" in server_command(data_dir, "INFO", "persistence"), "the command waited"
    stopped = cli(data_dir, "store", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert base_sequence(data_dir) == before + 1, "the stop cut the rewrite short"
    assert count(data_dir) == 2
