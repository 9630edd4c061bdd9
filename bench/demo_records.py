"""Read a demo data directory's customer records and truth without a store (shared by the benchmarks)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from loaders.manifest import read_manifest


def iter_customer_rows(directory: Path) -> Iterator[dict[str, str]]:
    """Every customers row, with ``id`` and ``source`` as the loader would give them."""
    for entry in read_manifest(directory):
        if entry.kind != "customers":
            continue
        with entry.path.open(encoding=entry.encoding, newline="") as handle:
            for row in csv.DictReader(handle):
                yield {**row, "id": f"{entry.source}:customers:{row['source_id']}", "source": entry.source}


def customer_rows(directory: Path) -> list[dict[str, str]]:
    return list(iter_customer_rows(directory))


def truth(directory: Path) -> dict[str, str]:
    with (directory / "truth.csv").open(encoding="utf-8", newline="") as handle:
        return {f"{r['source']}:customers:{r['source_id']}": r["person_id"] for r in csv.DictReader(handle)}
