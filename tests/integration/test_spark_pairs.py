"""Blocking and scoring on a real local Spark (app/resolution/spark_pairs.py) against the in-process
linker on the same records: the same candidate pairs, first rules, block caps, comparison levels,
probabilities and customers; and `c360 resolve --spark` through the CLI."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.resolution.linker import Linker, find_pairs
from app.resolution.prepare import match_record
from app.resolution.records import MatchRecord, RecordTable
from app.resolution.spark_pairs import SparkPairs, spark_session
from app.rules import get_rules
from bench.demo_records import customer_rows
from demo import generate
from loaders.manifest import read_manifest
from tests.identities import resident_id
from tests.integration.test_resolution import record

NEO4J_VARIABLES = ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_session("local[2]", partitions=4, memory="1g")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo")
    generate(directory, 600, seed=23)
    return directory


def crafted() -> list[MatchRecord]:
    """Records that reach every corner of blocking: a crowd over the cap split by birth year and then
    by district (some parts dropped), names of several words with address numbers, a record giving
    one phone twice, and look-alikes holding different valid certificates."""
    districts = ("福州鼓楼测试路1号", "福州台江测试路2号", "福州仓山测试路3号")
    crowd = [
        record(
            f"x:crowd{k:02d}",
            "王伟",
            birth_date=f"19{70 + k % 2}-0{1 + k % 9}-1{k % 7}" if k % 11 else "",
            address=districts[k % 3] if k % 5 else "",
        )
        for k in range(44)
    ]
    words = [
        record("x:w1", "John Smith", address="12 Harbour Road 350001"),
        record("x:w2", "Jon Smith", address="12 Harbour Rd 350001"),
        record("x:w3", "Smith John Paul Peter Mary", address="7 Harbour Road 350001"),
        record("x:w4", "Mary Peter", address="7 West Lane 12"),
    ]
    # The normaliser keeps a phone once; a record given one phone twice (another producer of
    # MatchRecords might) sits twice in its block, and neither path pairs it with itself.
    repeated = record("x:p1", "林芳", phones="13800000001")
    phones = [
        repeated._replace(phones=(*repeated.phones, *repeated.phones)),
        record("x:p2", "林方", phones="13800000001"),
    ]
    twins = [
        record("x:c1", "陈静", cert=resident_id(11), network="0591"),
        record("x:c2", "陈静", cert=resident_id(13), network="0591"),
    ]
    return [*crowd, *words, *phones, *twins]


@pytest.fixture(scope="module")
def records(demo_dir: Path) -> list[MatchRecord]:
    return [*(match_record(row) for row in customer_rows(demo_dir)), *crafted()]


def test_spark_finds_the_linkers_pairs_levels_and_counts(spark: Any, records: list[MatchRecord]) -> None:
    rules = get_rules().resolution.model_copy(update={"max_block_size": 5})
    table = RecordTable.build(sorted(records, key=lambda r: r.id))
    here, here_gamma, _ = find_pairs(table, rules, None)
    there, there_gamma, probability = SparkPairs(spark)(table, rules, None)
    assert probability is None
    assert len(here) > 1000
    assert np.array_equal(here.left, there.left)
    assert np.array_equal(here.right, there.right)
    assert np.array_equal(here.rule, there.rule)
    assert np.array_equal(here_gamma, there_gamma)
    assert there.pairs_by_rule == here.pairs_by_rule
    assert there.capped_blocks == here.capped_blocks
    assert there.capped_records == here.capped_records
    assert there.skipped_different_certificates == here.skipped_different_certificates
    # The corners were reached, so the equalities above were about something.
    assert here.capped_blocks["name_pinyin_local_network"] >= 1
    assert here.pairs_by_rule["name_word_address_number"] >= 1
    assert sum(here.skipped_different_certificates.values()) >= 1


def test_spark_scores_with_the_models_parameters_into_the_same_customers(
    spark: Any, records: list[MatchRecord]
) -> None:
    rules = get_rules().resolution
    here = Linker(rules).resolve(records)
    there = Linker(rules, here.model, pairs=SparkPairs(spark)).resolve(records)
    assert len(here.links) > 100
    assert there.assignment() == here.assignment()
    assert [(d.left, d.right, d.probability, d.rule) for d in there.links] == [
        (d.left, d.right, d.probability, d.rule) for d in here.links
    ]
    assert [(d.left, d.right, d.probability) for d in there.reviews] == [
        (d.left, d.right, d.probability) for d in here.reviews
    ]
    assert there.decisions == here.decisions
    # Estimated from Spark's comparison levels, the model is the in-process one.
    estimated = Linker(rules, pairs=SparkPairs(spark)).resolve(records)
    assert estimated.model.to_dict() == here.model.to_dict()
    assert estimated.assignment() == here.assignment()


def test_an_unknown_blocking_rule_is_refused(spark: Any, records: list[MatchRecord]) -> None:
    rules = get_rules().resolution.model_copy(update={"blocking_rules": ["certificate", "shoe_size"]})
    with pytest.raises(ValueError, match="shoe_size"):
        SparkPairs(spark)(RecordTable.build(records[:10]), rules, None)


@pytest.mark.parametrize("blocking_rules", [[], ["certificate", "phone"]])
def test_no_rules_or_no_records_find_no_pairs(
    spark: Any, records: list[MatchRecord], blocking_rules: list[str]
) -> None:
    rules = get_rules().resolution.model_copy(update={"blocking_rules": blocking_rules})
    table = RecordTable.build(records[:10] if not blocking_rules else [])
    here, _, _ = find_pairs(table, rules, None)
    model = Linker(get_rules().resolution).resolve(records[:50]).model
    there, gamma, probability = SparkPairs(spark)(table, rules, model)
    assert (len(there), gamma.shape, probability is not None and len(probability)) == (0, (0, 7), 0)
    assert there.pairs_by_rule == here.pairs_by_rule
    assert there.capped_records == here.capped_records


def test_resolve_on_spark_through_the_cli(tmp_path: Path, demo_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in NEO4J_VARIABLES}
    env.update(C360_DATA_DIR=str(tmp_path / "data"), C360_STORE_KEEP_SECONDS="0")

    def c360(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, timeout=600
        )

    def crosswalk(name: str) -> list[list[str]]:
        out = tmp_path / name
        assert c360("export", "crosswalk", "--out", str(out)).returncode == 0
        with out.open(encoding="utf-8", newline="") as handle:
            return sorted(csv.reader(handle))

    for entry in read_manifest(demo_dir):
        if entry.kind == "customers":
            done = c360(
                "ingest", str(entry.path), "--source", entry.source, "--kind", "customers",
                "--encoding", entry.encoding, "--no-resolve",
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
    here = c360("resolve")
    assert here.returncode == 0, here.stderr
    in_process = crosswalk("here.csv")
    there = c360("resolve", "--spark", "local[2]")
    assert there.returncode == 0, there.stderr
    on_spark = crosswalk("there.csv")
    summary_here, summary_there = json.loads(here.stdout), json.loads(there.stdout)
    assert summary_there["customers"] == summary_here["customers"] < summary_here["records"]
    assert summary_there["pairs_by_rule"] == summary_here["pairs_by_rule"]
    assert summary_there["decisions"] == summary_here["decisions"]
    assert len(on_spark) == summary_here["records"] + 1
    assert on_spark == in_process
    for args, reason in (
        (("--changed", "--spark", "local[2]"), "--spark is for a batch run"),
        (("--spark-work-dir", str(tmp_path)), "--spark-work-dir goes with --spark"),
        (("--spark", "local[2]", "--spark-work-dir", str(tmp_path / "none")), "no such directory"),
    ):
        refused = c360("resolve", *args)
        assert refused.returncode != 0 and reason in refused.stderr + refused.stdout
    env["JAVA_HOME"] = str(tmp_path / "no-java")
    refused = c360("resolve", "--spark", "local[2]")
    assert refused.returncode == 1 and "Spark did not start at 'local[2]' (it needs Java 17" in refused.stderr
    assert crosswalk("after.csv") == in_process
