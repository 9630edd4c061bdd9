"""Accuracy and speed of c360's linker on a demo data set, with Splink on the same records in the same run.

python bench/resolution_accuracy.py --customers 20000 --seed 360 [--no-splink]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_records import iter_customer_rows, truth  # noqa: E402

from app.resolution.evaluation import score_clusters, score_reviews, with_reviews_decided  # noqa: E402
from app.resolution.linker import Linker  # noqa: E402
from app.resolution.prepare import match_records  # noqa: E402
from app.rules import get_rules  # noqa: E402
from demo import generate  # noqa: E402


def c360_on(directory: Path) -> dict:
    started = time.perf_counter()
    records = match_records(iter_customer_rows(directory))  # streamed: raw rows are never all in memory
    count = len(records)
    prepared = time.perf_counter()
    resolution = Linker(get_rules().resolution).resolve(records)
    del records
    done = time.perf_counter()
    answer = truth(directory)
    predicted = resolution.assignment()
    review_pairs = [(r.left, r.right) for r in resolution.reviews]
    auto = score_clusters(predicted, answer)
    reviews = score_reviews(review_pairs, predicted, answer)
    return {
        "records": count,
        "normalise_s": round(prepared - started, 2),
        "link_s": round(done - prepared, 2),
        "link_steps_s": {step: round(seconds, 2) for step, seconds in resolution.timings.items()},
        "records_per_s": round(count / (done - started)),
        "auto": auto.as_dict(),
        "review_candidates": reviews.candidates,
        "review_rate": round(reviews.candidates / count, 4),
        "review_true_duplicates": reviews.true_duplicates,
        "review_precision": round(reviews.precision, 4),
        "with_reviews_decided": score_clusters(with_reviews_decided(predicted, review_pairs, answer), answer).as_dict(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "summary": resolution.summary(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=360)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--no-splink", action="store_true")
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="c360demo-"))
    if not (directory / "manifest.json").exists():
        generate(directory, args.customers, args.seed)
    result = {"c360": c360_on(directory)}
    if not args.no_splink:
        from peer_splink import demo_splink

        result["splink"] = demo_splink(directory)
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
