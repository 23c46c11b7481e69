"""One segmentation run: export from gold, score in Spark, swap the output in atomically.

The scored input (purchases.parquet, returns.parquet) is kept in `<segments_dir>/input/`.
The new Parquet is written beside the old one and only renamed into `settings.segments_dir`
after Spark finished and DuckDB could read it back, so a failed run leaves the last good
output in place (docs/architecture.md, "How a batch flows": a failed step leaves the last
good outputs as they were).
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from retail.errors import RetailError
from retail.fsutil import swap_in
from retail.segmentation import warmup
from retail.segmentation.config import TierThresholds
from retail.segmentation.extract import export_purchases
from retail.segmentation.session import (
    open_session,
    preflight,
    shuffle_partitions_for,
    spark_target,
)
from retail.settings import Settings

INPUT_SNAPSHOT_DIR = "input"  # <segments_dir>/input/{purchases,returns}.parquet

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class SegmentationResult:
    """What a run produced, and where its time went (for the CLI, Dagster metadata, benchmarks)."""

    output_dir: Path
    customers: int
    tier_counts: dict[str, int]
    segment_counts: dict[str, int]
    reference_date: date | None
    purchase_rows: int
    return_rows: int
    sales_without_customer: int
    spark_mode: str
    timings: dict[str, float] = field(default_factory=dict)


def _summarise(output_dir: Path) -> tuple[int, dict[str, int], dict[str, int], date | None]:
    """Read the written Parquet back with DuckDB: proves it is readable before it goes live."""
    files = sorted(output_dir.glob("*.parquet"))
    if not files:
        raise RetailError(f"{output_dir}: Spark wrote no Parquet file")
    con = duckdb.connect()
    try:
        names = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
        source = f"read_parquet([{names}])"
        customers, reference = con.execute(
            f"select count(*), max(reference_date) from {source}").fetchall()[0]
        tiers, segments = (
            dict(con.execute(f"select {column}, count(*) from {source} group by 1").fetchall())
            for column in ("value_tier", "rfm_segment")
        )
    finally:
        con.close()
    return int(customers), tiers, segments, reference


def run_segmentation(
    settings: Settings,
    spark: SparkSession | None = None,
    thresholds: TierThresholds | None = None,
) -> SegmentationResult:
    """Segment every purchasing customer of the warehouse of `settings`.

    `spark`: an existing session to use (tests, Dagster resources); it is left running. Without
    one, a session is started for this run (local, SPARK_MASTER or SPARK_REMOTE) and stopped.
    `thresholds`: default from dbt_project.yml vars, the same the dbt check uses.
    """
    thresholds = thresholds or TierThresholds.from_dbt_project()
    target = settings.segments_dir
    workspace = target.parent / f".run-{uuid.uuid4().hex[:12]}"
    timings: dict[str, float] = {}
    own_session = spark is None
    where = spark_target(settings)  # computed once: checked here, opened below
    spark_mode = where.mode if own_session else "given"
    if own_session and not warmup.checked(where):  # (a warmed session was checked already)
        preflight(where)  # no Java / no Connect server: say so before exporting anything
    try:
        started = time.perf_counter()
        extract = export_purchases(settings.duckdb_path, workspace / "input")
        timings["export_seconds"] = time.perf_counter() - started
        if spark is None:
            started = time.perf_counter()
            spark = warmup.take(where) or open_session(where)  # `retail run` starts it early
            timings["spark_startup_seconds"] = time.perf_counter() - started
            if where.mode == "local":
                spark.conf.set("spark.sql.shuffle.partitions",
                               str(shuffle_partitions_for(extract.purchase_rows)))
        started = time.perf_counter()
        _score_to_parquet(spark, extract.purchases, extract.returns, workspace / "output",
                          thresholds, spark_mode)
        timings["spark_job_seconds"] = time.perf_counter() - started
        customers, tiers, segments, reference = _summarise(workspace / "output")
        # Keep the exact input Spark scored next to its output: the dbt cross-check recomputes
        # the segments from this snapshot, so a later load of new sales makes the segments
        # stale (a warning), never "wrong".
        (workspace / "input").rename(workspace / "output" / INPUT_SNAPSHOT_DIR)
        swap_in(workspace / "output", target)
    finally:
        if own_session and spark is not None:
            warmup.stop(spark)  # `retail run`'s warmed session: in the background
        shutil.rmtree(workspace, ignore_errors=True)
    return SegmentationResult(
        output_dir=target, customers=customers, tier_counts=tiers, segment_counts=segments,
        reference_date=reference, purchase_rows=extract.purchase_rows,
        return_rows=extract.return_rows, sales_without_customer=extract.sales_without_customer,
        spark_mode=spark_mode, timings=timings,
    )


def _score_to_parquet(
    spark: SparkSession, purchases: Path, returns: Path, out: Path, thresholds: TierThresholds,
    mode: str,
) -> None:
    from retail.segmentation.scoring import segment_customers

    try:
        result = segment_customers(
            spark.read.parquet(str(purchases)), spark.read.parquet(str(returns)), thresholds
        )
        result.write.mode("overwrite").parquet(str(out))
    except Exception as exc:  # py4j, Connect (gRPC) and analysis errors: one message for all
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:500]
        hint = ""
        if mode in ("connect", "master"):
            hint = (f" A cluster reads and writes {out.parent.parent} directly: it must be on "
                    "storage every Spark node sees (e.g. a shared mount at the same path).")
        raise RetailError(f"the Spark job failed ({mode}): {first_line}.{hint} The last good "
                          "segments were left in place.") from exc
