"""Time and peak memory of generating the demo data set.

python bench/generate_demo.py --customers 1000000 --out /tmp/c360-1m [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from measure import machine, measured  # noqa: E402

from demo import generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=360)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=0, help="Processes; default one per core.")
    args = parser.parse_args()
    workers = args.workers or os.cpu_count() or 1
    with measured() as m:
        summary = generate(args.out, args.customers, args.seed, workers=workers)
    print(
        json.dumps(
            {
                "machine": machine(),
                "workers": workers,
                "people": summary.people,
                "customer_records": summary.customer_records,
                "rows": sum(summary.rows.values()),
                "seconds": m.seconds,
                "parent_peak_rss_mb": m.peak_rss_mb,
                "largest_worker_peak_rss_mb": m.child_peak_rss_mb,
                "all_processes_peak_rss_mb_at_most": round(m.peak_rss_mb + workers * m.child_peak_rss_mb, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
