"""The Dagster code location of the platform (`dagster dev` from the repository root loads it).

Steps run one at a time in the run's process (DuckDB allows one writer per file).
`build_definitions(settings)` binds the resources to a settings value (`retail run` passes its
own); `defs` is what `dagster dev` and `dagster definitions validate` load: the environment's
settings, read once. Importing this module builds nothing and starts no dbt: the dbt project is
prepared when the definitions are built (see orchestration/project.py).
"""

from __future__ import annotations

import dagster as dg

from orchestration.project import prepare_if_dev
from orchestration.resources import resources_for
from retail.settings import Settings


def build_definitions(settings: Settings) -> dg.Definitions:
    """Every asset, check, job, schedule and sensor, with resources holding `settings`."""
    prepare_if_dev(settings)  # before the dbt assets read the manifest
    from orchestration.assets.bronze import bronze_ingest
    from orchestration.assets.dbt import dbt_models, dbt_segmentation_models
    from orchestration.assets.exports import build_exports_asset
    from orchestration.assets.nosql import nosql
    from orchestration.assets.raw import raw_extract
    from orchestration.assets.segmentation import customer_segments_parquet
    from orchestration.checks import ASSET_CHECKS
    from orchestration.jobs import full_pipeline_job
    from orchestration.progress import retail_progress_logger
    from orchestration.schedules import daily_refresh
    from orchestration.sensors import landing_folder_sensor

    transform_assets = [dbt_models, customer_segments_parquet, dbt_segmentation_models, nosql]
    gold_keys = [key for assets in transform_assets for key in assets.keys
                 if key.path[0] == "gold"]
    return dg.Definitions(
        assets=[raw_extract, bronze_ingest, *transform_assets, build_exports_asset(gold_keys)],
        asset_checks=ASSET_CHECKS,
        jobs=[full_pipeline_job],
        schedules=[daily_refresh],
        sensors=[landing_folder_sensor],
        resources=resources_for(settings),
        executor=dg.in_process_executor,
        loggers={"console": dg.colored_console_logger, "retail_progress": retail_progress_logger},
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What `dagster dev` loads: the settings of its environment, read once per load."""
    return build_definitions(Settings.from_env())
