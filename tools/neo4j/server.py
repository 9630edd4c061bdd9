"""A real Neo4j Community server for tests, benchmarks and `make run` on Neo4j, without Docker.

The Java side (``Neo4jLauncher.java`` beside this file) is built by Maven on first use; Maven's
download cache makes later builds quick. The server is a child process tied to ours by a pipe: when
this process dies, its standard input closes and the server shuts down.

    python -m tools.neo4j.server [--home DIR] [--port N]    # serve until Ctrl-C, printing the URI
    python -m tools.neo4j.server --run CMD ...               # run CMD with NEO4J_URI pointing at it
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "target"
READY = "c360-neo4j ready "
DEFAULT_PASSWORD = "c360-test-pass"


class Neo4jLaunchError(RuntimeError):
    """The server could not be built or started; the message carries Maven's or Java's own words."""


def _newest_source() -> float:
    sources = [HERE / "pom.xml", *(HERE / "src").rglob("*.java")]
    return max(path.stat().st_mtime for path in sources)


def built() -> bool:
    stamp = TARGET / "classes" / "c360" / "neo4j" / "Neo4jLauncher.class"
    return stamp.is_file() and (TARGET / "lib").is_dir() and stamp.stat().st_mtime >= _newest_source()


def build() -> None:
    """``mvn package`` when the launcher is missing or older than its sources."""
    if built():
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise Neo4jLaunchError("Maven (mvn) is not on the PATH: it builds the Neo4j launcher in tools/neo4j")
    done = subprocess.run([mvn, "-q", "-B", "package", "-DskipTests"], cwd=HERE, capture_output=True, text=True)
    if done.returncode != 0:
        raise Neo4jLaunchError(
            f"building tools/neo4j failed (mvn exit {done.returncode}):\n{done.stdout[-4000:]}{done.stderr[-4000:]}"
        )


def java_executable() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise Neo4jLaunchError("no java on the PATH (Neo4j 5.26 needs Java 17 or 21)")
    return java


@dataclass
class Neo4jServer:
    """One server process. ``home`` keeps its files (a temporary folder, removed on stop, if None)."""

    home: Path | None = None
    port: int = 0
    password: str = DEFAULT_PASSWORD
    heap: str = "2g"
    pagecache: str = "512m"
    start_timeout: float = 180.0
    uri: str = ""
    version: str = ""
    _process: subprocess.Popen[str] | None = field(default=None, repr=False)
    _owned_home: bool = False
    _output: deque[str] = field(default_factory=lambda: deque(maxlen=60), repr=False)

    @property
    def user(self) -> str:
        return "neo4j"

    def environment(self) -> dict[str, str]:
        return {
            "NEO4J_URI": self.uri,
            "NEO4J_USER": self.user,
            "NEO4J_PASSWORD": self.password,
            "NEO4J_DATABASE": "neo4j",
        }

    def start(self) -> Neo4jServer:
        build()
        if self.home is None:
            self.home = Path(tempfile.mkdtemp(prefix="c360-neo4j-"))
            self._owned_home = True
        classpath = os.pathsep.join(str(TARGET / part) for part in ("classes", "lib/*", "plugins/*"))
        command = [
            java_executable(),
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-cp",
            classpath,
            "c360.neo4j.Neo4jLauncher",
            "--home",
            str(self.home),
            "--port",
            str(self.port),
            "--password",
            self.password,
            "--plugins",
            str(TARGET / "plugins"),
            "--pagecache",
            str(_bytes(self.pagecache)),
        ]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        ready = threading.Event()
        threading.Thread(target=self._read_output, args=(ready,), daemon=True).start()
        deadline = time.monotonic() + self.start_timeout
        while not ready.wait(0.2):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise Neo4jLaunchError("Neo4j did not start:\n" + "\n".join(self._output))
        return self

    def _read_output(self, ready: threading.Event) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            self._output.append(line.rstrip())
            if line.startswith(READY):
                address, _, version = line[len(READY) :].strip().partition(" version=")
                self.uri, self.version = address, version
                self.port = int(address.rsplit(":", 1)[1])
                ready.set()

    def recent_output(self) -> str:
        """The server's last lines of output; its debug.log is in ``home``/logs."""
        return "\n".join(self._output)

    @property
    def pid(self) -> int:
        return self._process.pid if self._process is not None else 0

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, timeout: float = 60.0) -> None:
        """Close its input (the launcher shuts the database down cleanly), then wait."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._owned_home and self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None

    def __enter__(self) -> Neo4jServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _bytes(size: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    return int(size[:-1]) * units[size[-1].lower()] if size[-1].lower() in units else int(size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a local Neo4j Community server for c360.")
    parser.add_argument("--home", type=Path, help="keep the database here (default: a temporary folder)")
    parser.add_argument("--port", type=int, default=0, help="Bolt port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument("--heap", default="2g")
    parser.add_argument("--pagecache", default="512m")
    parser.add_argument("--run", nargs=argparse.REMAINDER, help="run this command with NEO4J_* set, then stop")
    args = parser.parse_args(argv)
    server = Neo4jServer(args.home, args.port, args.password, args.heap, args.pagecache)
    try:
        server.start()
    except Neo4jLaunchError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        if args.run:
            return subprocess.call(args.run, env={**os.environ, **server.environment()})
        print(f"Neo4j {server.version} at {server.uri}; in another shell:", flush=True)
        print("export " + " ".join(f"{k}={v}" for k, v in server.environment().items()), flush=True)
        while server.alive():
            time.sleep(1)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
