"""Blocking and scoring on Spark against the in-process linker, on the same records in the same run.

python bench/spark_linking.py --dir /tmp/c360-1mcrm [--master 'local[2]'] [--estimate]

The in-process linker resolves the demo's customer records and estimates its model; Spark then finds
and scores the same records' pairs with that model's parameters, and the linker clusters them. The
clusters, candidate pairs and comparison levels must be identical; the probabilities equal to the
last bit or within 1e-12. ``--estimate`` adds a run where Spark only finds and compares the pairs and
the model is estimated from its comparison levels. Timings per phase; peak memory of this process
and of every process under it (Spark's JVM and its Python workers), sampled twice a second.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_records import iter_customer_rows  # noqa: E402

from app.resolution.linker import FoundPairs, Linker, Resolution, find_pairs  # noqa: E402
from app.resolution.prepare import match_records  # noqa: E402
from app.resolution.records import RecordTable  # noqa: E402
from app.resolution.spark_pairs import SparkPairs, spark_session  # noqa: E402
from app.rules import ResolutionRules, get_rules  # noqa: E402


class Checked:
    """Spark's pair finder, its answer compared with the in-process finder's on the same table
    (outside the timed link: the comparison runs after Spark has answered)."""

    def __init__(self, spark: SparkPairs) -> None:
        self.spark = spark
        self.seconds = 0.0
        self.same: dict[str, bool] = {}

    def __call__(self, table: RecordTable, rules: ResolutionRules, model: Any) -> FoundPairs:
        t = time.perf_counter()
        found = self.spark(table, rules, model)
        self.seconds = time.perf_counter() - t
        here, gamma, _ = find_pairs(table, rules, None)
        there, there_gamma, probability = found
        self.same = {
            "gamma_identical": bool(np.array_equal(gamma, there_gamma)),
            "skipped_identical": here.skipped_different_certificates == there.skipped_different_certificates,
            "probabilities_identical": probability is None
            or bool(np.array_equal(model.probability(gamma), probability)),
        }
        return found


class PeakMemory:
    """Peak resident memory of this process and all its descendants, summed, sampled every 0.5 s."""

    def __init__(self) -> None:
        self.peak_mb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.peak_mb = max(self.peak_mb, _tree_rss_mb(os.getpid()))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def _tree_rss_mb(root: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return round(total / 2**20)


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
        "reviews_identical": [(d.left, d.right, d.probability) for d in a.reviews]
        == [(d.left, d.right, d.probability) for d in b.reviews],
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
    memory = PeakMemory()
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
        finder = Checked(SparkPairs(spark, Path(work)))
        scored = Linker(rules, local.model, pairs=finder).resolve(records)
        result["spark_with_the_model"] = _spark_run(finder, scored, local)
        if args.estimate:
            estimated = Linker(rules, pairs=finder).resolve(records)
            result["spark_estimating"] = _spark_run(finder, estimated, local)
            result["spark_estimating"]["model_identical"] = estimated.model.to_dict() == local.model.to_dict()
    spark.stop()
    result["peak_rss_this_process_mb"] = _peak()
    result["peak_rss_with_spark_jvm_and_workers_mb"] = memory.stop()
    print(json.dumps(result, indent=2, default=str))


def _spark_run(finder: Checked, resolution: Resolution, local: Resolution) -> dict[str, Any]:
    """Link time without the in-process finder the check ran beside Spark's."""
    steps = _steps(resolution)
    steps["pairs"] = round(finder.seconds, 1)
    return {"link_s": round(sum(steps.values()), 1), "steps_s": steps, **_same(local, resolution), **finder.same}


def _steps(resolution: Resolution) -> dict[str, float]:
    return {step: round(seconds, 1) for step, seconds in resolution.timings.items()}


def _peak() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


if __name__ == "__main__":
    main()
