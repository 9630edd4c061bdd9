"""A column of strings kept as one UTF-8 buffer and the offsets into it.

A Python string costs 49-80 bytes before its characters; the normalised fields of a customer record are
a dozen short strings, so a million records held as objects are mostly headers. Linking five million
records needs them as bytes, decoded only while a comparison or a code is made from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

# Ends each value in the buffer, so that all of them are decoded and split in two C calls.
_END = "\x00"


def _narrow(offsets: np.ndarray, size: int) -> np.ndarray:
    """Offsets as 32-bit integers while the buffer is under 4 GiB (every column of five million records
    is): half the memory of 64-bit ones, which a table of 25 columns spends 200 MB a million records on."""
    return offsets.astype(np.uint32 if size < 1 << 32 else np.int64, copy=False)


class TextColumn(Sequence[str]):
    """Value ``i`` is ``data[offsets[i]:offsets[i + 1] - 1]``, followed by a NUL byte; a value holding
    a NUL itself is still kept and read right, only more slowly."""

    __slots__ = ("data", "offsets")

    def __init__(self, data: bytes, offsets: np.ndarray) -> None:
        self.data = data
        self.offsets = offsets

    @classmethod
    def of(cls, values: Iterable[str]) -> TextColumn:
        values = values if isinstance(values, list) else list(values)
        data = "".join([value + _END for value in values]).encode()
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0)
        if len(ends) != len(values):
            return cls._of_encoded([(value + _END).encode() for value in values])
        return cls(data, _narrow(np.concatenate(([0], ends + 1)), len(data)))

    @classmethod
    def _of_encoded(cls, encoded: list[bytes]) -> TextColumn:
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
        data = b"".join(encoded)
        return cls(data, _narrow(offsets, len(data)))

    @classmethod
    def joined(cls, columns: Sequence[TextColumn]) -> TextColumn:
        """The columns one after the other."""
        if not columns:
            return cls.of([])
        shifts = np.cumsum([0] + [len(c.data) for c in columns[:-1]], dtype=np.int64)
        offsets = np.concatenate(
            [columns[0].offsets[:1].astype(np.int64)] + [c.offsets[1:] + s for c, s in zip(columns, shifts)]
        )
        data = b"".join(c.data for c in columns)
        return cls(data, _narrow(offsets, len(data)))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:  # type: ignore[override]
        if i < 0:
            i += len(self)
        start, end = self.offsets[i : i + 2].tolist()
        return self.data[start : end - 1].decode()

    def __iter__(self) -> Iterator[str]:
        return iter(self.strings())

    def strings(self) -> list[str]:
        """Every value as a string, for a pass that needs them all at once (codes, comparisons)."""
        if self.data.count(b"\x00") == len(self):
            return self.data.decode().split(_END)[:-1]
        data, bounds = self.data, self.offsets.tolist()
        return [data[start : end - 1].decode() for start, end in zip(bounds, bounds[1:])]

    def objects(self) -> np.ndarray:
        """Every value in a numpy object array: millions of pairs' values picked by a fancy index."""
        out = np.empty(len(self), dtype=object)
        out[:] = self.strings()
        return out

    def taken(self, order: np.ndarray) -> TextColumn:
        """The values at ``order``, as a new column."""
        data = self.data
        bounds = self.offsets
        starts, ends = bounds[order].tolist(), bounds[order + 1].tolist()
        offsets = np.zeros(len(order) + 1, dtype=np.int64)
        np.cumsum(bounds[order + 1] - bounds[order], out=offsets[1:])
        taken = b"".join([data[s:e] for s, e in zip(starts, ends)])
        return TextColumn(taken, _narrow(offsets, len(taken)))

    def nbytes(self) -> int:
        return len(self.data) + self.offsets.nbytes
