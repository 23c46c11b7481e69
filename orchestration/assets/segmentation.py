"""The PySpark customer segmentation: gold purchases -> Spark -> Parquet in settings.segments_dir.

The dbt models in models/marts/segmentation read that Parquet and run after this asset.
"""


import dataclasses
import time
from typing import Any

import dagster as dg
import duckdb

from orchestration.assets.bronze import DUCKDB_POOL
from orchestration.metadata import folder_size, markdown_table
from orchestration.resources import RetailResource
from orchestration.translator import SPARK_SEGMENTS_KEY

UPSTREAM = [dg.AssetKey(["gold", "fct_sales"]), dg.AssetKey(["gold", "dim_customers"]),
            dg.AssetKey(["gold", "fct_returns"])]


def _result_metadata(result: Any) -> dict[str, Any]:
    """Scalar fields of the SegmentationResult dataclass, as metadata."""
    if not dataclasses.is_dataclass(result):
        return {}
    fields = dataclasses.asdict(result)
    return {f"result_{k}": v if isinstance(v, int | float | bool) else str(v)
            for k, v in fields.items() if v is not None}


def parquet_metadata(folder: str) -> dict[str, Any]:
    glob = f"{folder}/**/*.parquet"
    with duckdb.connect() as con:
        rows = con.execute(f"select count(*) from read_parquet('{glob}')").fetchone()[0]
        tiers = con.execute(
            f"select tier, count(*) from read_parquet('{glob}') group by tier order by tier"
        ).fetchall()
    return {
        "dagster/row_count": dg.MetadataValue.int(int(rows)),
        "tiers": dg.MetadataValue.md(markdown_table(["tier", "customers"], tiers)),
    }


@dg.asset(
    key=SPARK_SEGMENTS_KEY,
    deps=UPSTREAM,
    group_name="segmentation",
    kinds={"spark", "parquet"},
    pool=DUCKDB_POOL,
)
def customer_segments_parquet(
    context: dg.AssetExecutionContext, retail: RetailResource
) -> dg.MaterializeResult:
    """Customer value tiers and RFM scores computed by PySpark, written as Parquet."""
    from retail.segmentation import run_segmentation

    settings = retail.settings()
    started = time.perf_counter()
    result = run_segmentation(settings)
    seconds = round(time.perf_counter() - started, 3)
    folder = settings.segments_dir
    metadata = {
        "path": dg.MetadataValue.path(str(folder)),
        "size_bytes": folder_size(folder),
        "spark_seconds": dg.MetadataValue.float(seconds),
        **_result_metadata(result),
    }
    try:
        metadata.update(parquet_metadata(str(folder)))
    except duckdb.Error as exc:
        context.log.warning(f"could not read {folder} for metadata: {exc}")
    return dg.MaterializeResult(metadata=metadata)
