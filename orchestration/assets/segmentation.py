"""The PySpark customer segmentation: gold purchases -> Spark -> Parquet in settings.segments_dir.

The dbt models in models/marts/segmentation read that Parquet and run after this asset.
"""

import time
from typing import Any

import dagster as dg

from orchestration.describe import markdown_table
from orchestration.metadata import folder_size
from orchestration.resources import DUCKDB_POOL, RetailResource
from orchestration.translator import SPARK_SEGMENTS_KEY

UPSTREAM = [dg.AssetKey(["gold", name]) for name in ("fct_sales", "dim_customers", "fct_returns")]


def result_metadata(result: Any) -> dict[str, Any]:
    """What the Spark run produced (a SegmentationResult), as Dagster metadata."""
    total = max(result.customers, 1)
    tiers = sorted(result.tier_counts.items())
    return {
        "dagster/row_count": dg.MetadataValue.int(result.customers),
        "tiers": dg.MetadataValue.md(markdown_table(
            ["tier", "customers", "share"], [(t, n, f"{n / total:.1%}") for t, n in tiers])),
        "segments": dg.MetadataValue.md(markdown_table(
            ["rfm segment", "customers"], sorted(result.segment_counts.items()))),
        "reference_date": str(result.reference_date),
        "purchase_rows": result.purchase_rows,
        "return_rows": result.return_rows,
        "sales_without_customer": result.sales_without_customer,
        "spark_mode": result.spark_mode,
        **{name: round(value, 3) for name, value in result.timings.items()},
    }


@dg.asset(
    key=SPARK_SEGMENTS_KEY,
    deps=UPSTREAM,
    group_name="segmentation",
    kinds={"spark", "parquet"},
    pool=DUCKDB_POOL,
)
def customer_segments_parquet(retail: RetailResource) -> dg.MaterializeResult:
    """Customer value tiers and RFM scores computed by PySpark, written as Parquet."""
    from retail.segmentation import run_segmentation

    settings = retail.settings()
    started = time.perf_counter()
    result = run_segmentation(settings)
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(result.output_dir)),
        "size_bytes": folder_size(result.output_dir),
        "duration_seconds": round(time.perf_counter() - started, 3),
        **result_metadata(result),
    })
