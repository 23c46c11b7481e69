"""The dbt models as assets, in two selections around the Spark step.

`dbt_models` is everything except models/marts/segmentation; `dbt_segmentation_models` are the
models that read Spark's Parquet and run after it. dbt data tests become asset checks.
"""

import json
from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.assets.bronze import DUCKDB_POOL
from orchestration.dbt_build import build_and_describe
from orchestration.project import SEGMENTATION_MODELS, dbt_project
from orchestration.resources import RetailResource
from orchestration.translator import RetailDbtTranslator, is_segmentation_model

TRANSLATOR = RetailDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def _has_segmentation_models() -> bool:
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return any(is_segmentation_model(node) for node in manifest.get("nodes", {}).values())


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TRANSLATOR,
    exclude=SEGMENTATION_MODELS,
    name="dbt_models",
    pool=DUCKDB_POOL,
)
def dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, retail: RetailResource
) -> Iterator[Any]:
    """Silver and gold: staging, intermediate, marts (except segmentation), with their tests."""
    yield from build_and_describe(context, dbt, retail.settings())


def segmentation_dbt_assets() -> list[dg.AssetsDefinition]:
    """The models downstream of Spark (none until models/marts/segmentation exists)."""
    if not _has_segmentation_models():
        return []

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=TRANSLATOR,
        select=SEGMENTATION_MODELS,
        name="dbt_segmentation_models",
        pool=DUCKDB_POOL,
    )
    def dbt_segmentation_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, retail: RetailResource
    ) -> Iterator[Any]:
        """gold.customer_segments and gold.kpi_customer_tiers, read from Spark's Parquet."""
        yield from build_and_describe(context, dbt, retail.settings())

    return [dbt_segmentation_models]
