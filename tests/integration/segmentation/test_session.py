"""Session choice, local tuning and configuration: the small pure parts around Spark."""

from __future__ import annotations

import subprocess
import sys

import pytest
from segmentation_fixtures import settings_under

from retail.errors import UsageError
from retail.segmentation.config import TierThresholds
from retail.segmentation.session import shuffle_partitions_for, spark_target


def test_importing_the_package_starts_nothing_heavy() -> None:
    code = ("import sys, retail.segmentation, cli.commands.segment; "
            "print(sorted(m for m in ('pyspark', 'py4j') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.logic
@pytest.mark.parametrize(("env", "mode", "url"), [
    ({}, "local", "local[*]"),
    ({"SPARK_MASTER": "local[2]"}, "local", "local[2]"),
    ({"SPARK_MASTER": "spark://10.0.0.5:7077"}, "master", "spark://10.0.0.5:7077"),
    ({"SPARK_REMOTE": "sc://spark.example:15002", "SPARK_MASTER": "spark://x:7077"},
     "connect", "sc://spark.example:15002"),
])
def test_spark_target_from_settings(tmp_path, env, mode, url) -> None:
    target = spark_target(settings_under(tmp_path, **env))
    assert (target.mode, target.url) == (mode, url)


@pytest.mark.logic
def test_shuffle_partitions_follow_the_data() -> None:
    assert shuffle_partitions_for(0, cores=2) == 1
    assert shuffle_partitions_for(1_000, cores=2) == 1
    assert shuffle_partitions_for(250_001, cores=2) == 2
    assert shuffle_partitions_for(6_000_000, cores=2) == 4
    assert shuffle_partitions_for(6_000_000, cores=8) == 16


@pytest.mark.logic
def test_thresholds_come_from_dbt_project_vars(tmp_path) -> None:
    (tmp_path / "dbt_project.yml").write_text(
        "name: x\nvars:\n  segmentation_high_percentile: 0.9\n"
        "  segmentation_medium_percentile: 0.25\n")
    assert TierThresholds.from_dbt_project(tmp_path) == TierThresholds(high=0.9, medium=0.25)
    (tmp_path / "dbt_project.yml").write_text("name: x\n")
    assert TierThresholds.from_dbt_project(tmp_path) == TierThresholds(high=0.8, medium=0.5)


@pytest.mark.logic
@pytest.mark.parametrize(("high", "medium"), [(0.5, 0.8), (1.2, 0.5), (0.8, -0.1)])
def test_thresholds_out_of_order_are_refused(high, medium) -> None:
    with pytest.raises(UsageError, match="0 <= medium <= high <= 1"):
        TierThresholds(high=high, medium=medium)
