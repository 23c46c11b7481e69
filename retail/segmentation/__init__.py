"""PySpark customer segmentation: value tiers from spending percentiles, plus RFM scores.

`run_segmentation(settings, spark=None)` exports purchases from gold (DuckDB -> Parquet), scores
them in Spark (local, `SPARK_MASTER` or Spark Connect via `SPARK_REMOTE`) and writes Parquet to
`settings.segments_dir`, which dbt reads as `gold.customer_segments`. Importing this package does
not import pyspark or start anything.
"""

from retail.segmentation.config import TierThresholds
from retail.segmentation.pipeline import SegmentationResult, run_segmentation

__all__ = ["SegmentationResult", "TierThresholds", "run_segmentation"]
