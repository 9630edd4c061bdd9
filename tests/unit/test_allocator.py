"""The allocator's settings give a freed large block back to the system, in this process and in the
processes it starts."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from app import allocator

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's allocator only"
)

# A 4 MB block made and freed three times: by default glibc maps the first only and takes the later ones
# from its heap, which keeps them when freed; tuned, each is mapped and given back.
_MAPPED_EACH_TIME = """
import ctypes, sys
if sys.argv[1] == "tuned":
    from app import allocator
    allocator.tune()
class Info(ctypes.Structure):
    names = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
    _fields_ = [(n, ctypes.c_size_t) for n in names.split()]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
for _ in range(3):
    block = bytearray(4 << 20)
    print(libc.mallinfo2().hblkhd >> 20)
    del block
"""


def _mapped_mb(mode: str) -> list[int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run(
        [sys.executable, "-c", _MAPPED_EACH_TIME, mode], env=env, capture_output=True, text=True, check=True
    )
    return [int(line) for line in out.stdout.split()]


def test_a_large_block_is_mapped_each_time_so_freeing_it_gives_it_back() -> None:
    assert _mapped_mb("tuned") == [4, 4, 4]
    assert _mapped_mb("default") == [4, 0, 0]


def test_the_settings_reach_started_processes_and_keep_an_operators_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    applied = allocator.tune()
    assert applied["MALLOC_ARENA_MAX"] == 4
    assert applied["MALLOC_MMAP_THRESHOLD_"] == allocator.SETTINGS["MALLOC_MMAP_THRESHOLD_"][1]
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; print(os.environ['MALLOC_MMAP_THRESHOLD_'], os.environ['MALLOC_ARENA_MAX'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert child.stdout.split() == [str(128 * 1024), "4"]


# 200 MB of 64 KB blocks (under the mapping threshold, so from the heap), every other one freed: the
# holes sit between live blocks, below the heap's top, until trimmed.
_HOLES = """
import sys
from app import allocator
allocator.tune()
def resident_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 >> 20
blocks = [bytearray(64 << 10) for _ in range(3200)]
del blocks[::2]
before = resident_mb()
trimmed = allocator.trim()
print(before, resident_mb(), int(trimmed))
"""


def test_trim_gives_back_the_holes_between_live_blocks() -> None:
    out = subprocess.run([sys.executable, "-c", _HOLES], capture_output=True, text=True, check=True)
    before, after, trimmed = (int(v) for v in out.stdout.split())
    assert trimmed == 1
    assert before - after >= 80, (before, after)
