"""Ingest speed into the embedded store, without resolution.

    python bench/ingest_speed.py FILE --source crm --kind customers [--batch-size 5000]

Reports source records per second and the peak memory of this process and of the store server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from measure import machine, measured  # noqa: E402
from stores import peak_mb  # noqa: E402

from app.store.embedded import EmbeddedStore  # noqa: E402
from loaders.ingest import ingest_file  # noqa: E402


async def run(path: Path, source: str, kind: str, batch_size: int, encoding: str) -> dict:
    store = EmbeddedStore(Path(tempfile.mkdtemp(prefix="c360b-", dir="/tmp")), graph_name="bench")
    await store.start()
    try:
        await store.setup_schema()
        with measured() as m:
            summary = await ingest_file(store, source, kind, path, batch_size=batch_size, encoding=encoding)
        again = None
        with measured() as m2:
            again = await ingest_file(store, source, kind, path, batch_size=batch_size, encoding=encoding)
        pid = store.server.process.pid if store.server and store.server.process else 0
        return {
            "machine": machine(),
            "file": str(path),
            "rows": summary.read,
            "written": summary.written,
            "rejected": summary.rejected,
            "seconds": m.seconds,
            "records_per_s": round(summary.read / m.seconds),
            "peak_rss_mb": m.peak_rss_mb,
            "store_peak_rss_mb": peak_mb(pid) if pid else None,
            "reingest_unchanged": again.unchanged,
            "reingest_seconds": m2.seconds,
            "reingest_records_per_s": round(again.read / m2.seconds),
        }
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", type=Path)
    parser.add_argument("--source", default="crm")
    parser.add_argument("--kind", default="customers")
    parser.add_argument("--encoding", default="utf-8")
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.file, args.source, args.kind, args.batch_size, args.encoding)), indent=2))


if __name__ == "__main__":
    main()
