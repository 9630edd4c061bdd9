"""glibc's allocator set so that a load's process gives back the memory its batches freed.

By default glibc raises its mapping threshold each time a large block is freed (up to 32 MB), so a
load's batch buffers come from the heap after the first, and the heap keeps what they freed: the
100,000-person demo's load process held 370 MB that ``malloc_trim`` gave back at once. With a fixed
threshold large blocks are mapped and returned when freed, the heap's free top is trimmed, and two
arenas serve the threads (docs/benchmarks.md, thirty-fifth session). The values go into the
environment too, which glibc reads when a process starts, so the processes a command starts are set
the same way; a value already in the environment is kept, so an operator can change or undo one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import platform

# glibc's own environment names, with mallopt's parameter numbers (malloc.h).
SETTINGS: dict[str, tuple[int, int]] = {
    "MALLOC_MMAP_THRESHOLD_": (-3, 128 * 1024),
    "MALLOC_TRIM_THRESHOLD_": (-1, 128 * 1024),
    "MALLOC_ARENA_MAX": (-8, 2),
}


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


def tune() -> dict[str, int]:
    """The settings in force for this process and those it starts, as set; none off glibc."""
    libc = _glibc()
    if libc is None:
        return {}
    applied: dict[str, int] = {}
    for name, (parameter, default) in SETTINGS.items():
        value = int(os.environ.setdefault(name, str(default)))
        if libc.mallopt(parameter, value):
            applied[name] = value
    return applied


def trim() -> bool:
    """The heap's free pages given back wherever they are, not only at its top: arrays under the mapping
    threshold made and freed between live ones stay with the process otherwise (about 280 MB after
    blocking a million records). Whether any were; a few milliseconds a gigabyte."""
    libc = _glibc()
    return libc is not None and bool(libc.malloc_trim(0))
