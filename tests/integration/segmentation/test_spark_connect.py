"""The same segmentation through Spark Connect (SPARK_REMOTE) as through the local session.

The Connect run is a separate `retail segment` process: pyspark switches a whole process to
Connect mode once a remote session exists, and the local session of the other tests lives
in this one. The server is real (from the pyspark wheel) and always stopped at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import duckdb
from connect_server import spark_connect_server
from segmentation_fixtures import random_gold, settings_under

from retail.segmentation import run_segmentation


def test_connect_result_equals_local_result(spark, tmp_path) -> None:
    local = settings_under(tmp_path / "local")
    random_gold(local.duckdb_path, customers=120, seed=5)
    remote = settings_under(tmp_path / "remote")
    remote.duckdb_path.parent.mkdir(parents=True)
    shutil.copy(local.duckdb_path, remote.duckdb_path)

    with spark_connect_server(tmp_path / "server") as server:
        local_result = run_segmentation(local, spark=spark)  # while the server boots
        server.wait_ready()
        env = {k: v for k, v in os.environ.items() if k not in ("SPARK_MASTER", "JAVA_HOME")}
        env.update(SPARK_REMOTE=server.url,
                   RETAIL_DUCKDB_PATH=str(remote.duckdb_path),
                   PATH=str(tmp_path / "no-java-here"))  # a Connect client needs no Java
        proc = subprocess.run(
            [sys.executable, "-m", "retail.cli", "segment", "--no-dbt", "--json"],
            env=env, capture_output=True, text=True, timeout=600,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["spark_mode"] == "connect"
    assert summary["customers"] == local_result.customers > 100
    assert summary["tiers"] == local_result.tier_counts

    local_rows = f"read_parquet('{local_result.output_dir}/*.parquet')"
    remote_rows = f"read_parquet('{remote.segments_dir}/*.parquet')"
    for first, second in ((local_rows, remote_rows), (remote_rows, local_rows)):
        difference = duckdb.sql(f"select * from {first} except all select * from {second}")
        assert difference.fetchall() == []
