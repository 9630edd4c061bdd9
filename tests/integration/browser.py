"""What the browser tests share (steward page, GraphiQL offline, CJK rendering): a real `c360 serve`
process attached to the test's store, and the system's Chromium (Debian package `chromium`) driven by
Playwright. Without Chromium those tests skip and say so."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import httpx
import pytest

from app.store import Store
from tests.conftest import cli_environment
from tests.integration.test_api_basics import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on this machine (Debian package `chromium`; .ci/run installs it): browser tests skipped",
)


@contextlib.contextmanager
def c360_serve(store: Store, **environment: str) -> Iterator[str]:
    """`c360 serve` on a free port of 127.0.0.1, attached to ``store``; yields its base URL once
    /healthz answers, and stops it with Ctrl-C afterwards."""
    port = free_port()
    env = {**cli_environment(store), "C360_DEMO_CUSTOMERS": "0", **environment}
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            log.seek(0)
            said = log.read().decode(errors="replace")[-2000:]
            pytest.fail(f"c360 serve did not come up (exit code {proc.poll()}):\n{said}")
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
