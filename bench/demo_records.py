"""Read a demo data directory's customer records and truth without a store (shared by the benchmarks)."""

from __future__ import annotations

import csv
from pathlib import Path

from loaders.manifest import read_manifest


def customer_rows(directory: Path) -> list[dict[str, str]]:
    """Every customers row, with ``id`` and ``source`` as the loader would give them."""
    rows: list[dict[str, str]] = []
    for entry in read_manifest(directory):
        if entry.kind != "customers":
            continue
        with entry.path.open(encoding=entry.encoding, newline="") as handle:
            for row in csv.DictReader(handle):
                rows.append({**row, "id": f"{entry.source}:customers:{row['source_id']}", "source": entry.source})
    return rows


def truth(directory: Path) -> dict[str, str]:
    with (directory / "truth.csv").open(encoding="utf-8", newline="") as handle:
        return {f"{r['source']}:customers:{r['source_id']}": r["person_id"] for r in csv.DictReader(handle)}
