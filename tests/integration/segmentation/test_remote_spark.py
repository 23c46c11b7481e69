"""The same segmentation on real Spark servers as in the local session:
Spark Connect (SPARK_REMOTE) and a classic standalone master (SPARK_MASTER).

Each remote run is a separate `retail segment` process: pyspark switches a whole process to
Connect mode once a remote session exists, and the local session of the other tests lives in
this one. The servers come from the pyspark wheel and are always stopped at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from segmentation_fixtures import random_gold, settings_under
from spark_servers import spark_connect_server, standalone_cluster

from retail.segmentation import SegmentationResult, run_segmentation
from retail.settings import Settings


@pytest.fixture(scope="module")
def local_reference(spark, tmp_path_factory) -> tuple[Settings, SegmentationResult]:
    settings = settings_under(tmp_path_factory.mktemp("local"))
    random_gold(settings.duckdb_path, customers=120, seed=5)
    return settings, run_segmentation(settings, spark=spark)


def _copy_warehouse(reference: Settings, root: Path) -> Settings:
    settings = settings_under(root)
    settings.duckdb_path.parent.mkdir(parents=True)
    shutil.copy(reference.duckdb_path, settings.duckdb_path)
    return settings


def _segment_in_subprocess(settings: Settings, **env: str) -> dict:
    base = {k: v for k, v in os.environ.items() if k not in ("SPARK_MASTER", "SPARK_REMOTE")}
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", "segment", "--no-dbt", "--json"],
        env={**base, "RETAIL_DUCKDB_PATH": str(settings.duckdb_path), **env},
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def _assert_same_rows(first_dir: Path, second_dir: Path) -> None:
    first = f"read_parquet('{first_dir}/*.parquet')"
    second = f"read_parquet('{second_dir}/*.parquet')"
    for a, b in ((first, second), (second, first)):
        assert duckdb.sql(f"select * from {a} except all select * from {b}").fetchall() == []


def test_spark_connect_result_equals_local_result(local_reference, tmp_path) -> None:
    reference, local = local_reference
    remote = _copy_warehouse(reference, tmp_path / "remote")
    with spark_connect_server(tmp_path / "server") as server:
        server.wait_ready()
        summary = _segment_in_subprocess(  # a Connect client needs no Java: hide it
            remote, SPARK_REMOTE=server.url, JAVA_HOME="", PATH=str(tmp_path / "no-java"))
    assert summary["spark_mode"] == "connect"
    assert summary["customers"] == local.customers > 100
    assert summary["tiers"] == local.tier_counts
    _assert_same_rows(local.output_dir, remote.segments_dir)


def test_standalone_master_result_equals_local_result(local_reference, tmp_path) -> None:
    reference, local = local_reference
    remote = _copy_warehouse(reference, tmp_path / "remote")
    with standalone_cluster(tmp_path / "cluster") as master_url:
        summary = _segment_in_subprocess(remote, SPARK_MASTER=master_url)
        worker_log = (tmp_path / "cluster" / "worker.log").read_text()
    assert summary["spark_mode"] == "master"
    assert "Asked to launch executor" in worker_log  # the work ran on the cluster's executor
    assert summary["customers"] == local.customers
    _assert_same_rows(local.output_dir, remote.segments_dir)
