"""The Dagster code location of the platform (`dagster dev` from the repository root loads it).

Steps run one at a time in the run's process (DuckDB allows one writer per file).
"""

from __future__ import annotations

import dagster as dg

from orchestration.assets.bronze import bronze_ingest
from orchestration.assets.dbt import dbt_models, dbt_segmentation_models
from orchestration.assets.exports import build_exports_asset
from orchestration.assets.nosql import nosql
from orchestration.assets.raw import raw_extract
from orchestration.assets.segmentation import customer_segments_parquet
from orchestration.checks import ASSET_CHECKS
from orchestration.jobs import full_pipeline_job
from orchestration.progress import retail_progress_logger
from orchestration.resources import default_resources
from orchestration.schedules import daily_refresh
from orchestration.sensors import landing_folder_sensor

transform_assets = [dbt_models, customer_segments_parquet, dbt_segmentation_models, nosql]
gold_keys = [key for assets in transform_assets for key in assets.keys if key.path[0] == "gold"]

defs = dg.Definitions(
    assets=[raw_extract, bronze_ingest, *transform_assets, build_exports_asset(gold_keys)],
    asset_checks=ASSET_CHECKS,
    jobs=[full_pipeline_job],
    schedules=[daily_refresh],
    sensors=[landing_folder_sensor],
    resources=default_resources(),
    executor=dg.in_process_executor,
    loggers={"console": dg.colored_console_logger, "retail_progress": retail_progress_logger},
)
