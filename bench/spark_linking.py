"""Blocking and scoring on Spark against the in-process linker, on the same records in the same run.

python bench/spark_linking.py --dir /tmp/c360-1mcrm [--master 'local[2]'] [--estimate]

The in-process linker resolves the demo's customer records and estimates its model; Spark then finds
and scores the same records' pairs with that model's parameters, and the linker clusters them. The
clusters, candidate pairs and comparison levels must be identical; the probabilities equal to the
last bit or within 1e-12. ``--estimate`` adds a run where Spark only finds and compares the pairs and
the model is estimated from its comparison levels. Timings per phase; peak memory of this process
(driver and Python workers are reported apart: Spark runs its JVM and workers as children).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_records import iter_customer_rows  # noqa: E402

from app.resolution.linker import Linker, Resolution  # noqa: E402
from app.resolution.prepare import match_records  # noqa: E402
from app.resolution.spark_pairs import SparkPairs, spark_session  # noqa: E402
from app.rules import get_rules  # noqa: E402


def _same(a: Resolution, b: Resolution) -> dict[str, object]:
    return {
        "clusters_identical": a.assignment() == b.assignment(),
        "customers": [len(a.cluster_members()), len(b.cluster_members())],
        "pairs_identical": bool(
            np.array_equal(a.blocking.left, b.blocking.left)
            and np.array_equal(a.blocking.right, b.blocking.right)
            and np.array_equal(a.blocking.rule, b.blocking.rule)
        ),
        "counts_identical": (a.blocking.pairs_by_rule, a.blocking.capped_records, a.blocking.capped_blocks)
        == (b.blocking.pairs_by_rule, b.blocking.capped_records, b.blocking.capped_blocks),
        "decisions": [a.decisions, b.decisions],
        "links_identical": [(d.left, d.right, d.decision, d.probability) for d in a.links]
        == [(d.left, d.right, d.decision, d.probability) for d in b.links],
        "reviews_identical": [(d.left, d.right) for d in a.reviews] == [(d.left, d.right) for d in b.reviews],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--memory", default="6g")
    parser.add_argument("--estimate", action="store_true")
    args = parser.parse_args()
    rules = get_rules().resolution
    started = time.perf_counter()
    records = match_records(iter_customer_rows(args.dir))
    normalised = time.perf_counter()
    local = Linker(rules).resolve(records)
    linked = time.perf_counter()
    result: dict[str, object] = {
        "records": len(records),
        "candidate_pairs": len(local.blocking),
        "normalise_s": round(normalised - started, 1),
        "in_process": {"link_s": round(linked - normalised, 1), "steps_s": _steps(local)},
        "peak_rss_after_in_process_mb": _peak(),
    }
    spark = spark_session(args.master, partitions=args.partitions, memory=args.memory)
    with tempfile.TemporaryDirectory() as work:
        finder = SparkPairs(spark, Path(work))
        t = time.perf_counter()
        scored = Linker(rules, local.model, pairs=finder).resolve(records)
        result["spark_with_the_model"] = {
            "link_s": round(time.perf_counter() - t, 1),
            "steps_s": _steps(scored),
            **_same(local, scored),
        }
        if args.estimate:
            t = time.perf_counter()
            estimated = Linker(rules, pairs=finder).resolve(records)
            result["spark_estimating"] = {
                "link_s": round(time.perf_counter() - t, 1),
                "steps_s": _steps(estimated),
                **_same(local, estimated),
            }
    spark.stop()
    result["peak_rss_driver_process_mb"] = _peak()
    result["peak_rss_children_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    print(json.dumps(result, indent=2, default=str))


def _steps(resolution: Resolution) -> dict[str, float]:
    return {step: round(seconds, 1) for step, seconds in resolution.timings.items()}


def _peak() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


if __name__ == "__main__":
    main()
