"""Time and peak memory of generating the demo data set.

    python bench/generate_demo.py --customers 1000000 --out /tmp/c360-1m
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from measure import machine, measured  # noqa: E402

from loaders.demo_data import generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=360)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    with measured() as m:
        summary = generate(args.out, args.customers, args.seed)
    print(json.dumps({"machine": machine(), "people": summary.people, "customer_records": summary.customer_records,
                      "rows": sum(summary.rows.values()), "seconds": m.seconds, "peak_rss_mb": m.peak_rss_mb}, indent=2))


if __name__ == "__main__":
    main()
