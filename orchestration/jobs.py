"""Jobs: the whole pipeline, raw extract to exports, selected by asset group."""

from __future__ import annotations

import dagster as dg

GROUPS = ("raw", "bronze", "silver", "gold", "segmentation", "nosql", "exports")
# Runs that write the warehouse queue behind each other when the instance limits this tag
# (see README: run_queue.tag_concurrency_limits); in a run, steps execute one at a time.
WAREHOUSE_TAG = {"retail/warehouse": "writer"}

full_pipeline_job = dg.define_asset_job(
    "full_pipeline",
    selection=dg.AssetSelection.groups(*GROUPS),
    description="Raw extract -> bronze -> dbt silver/gold -> Spark -> MongoDB -> Power BI exports.",
    tags=WAREHOUSE_TAG,
    executor_def=dg.in_process_executor,
)
