"""The dbt models as assets, in two selections around the Spark step.

`dbt_models` is everything except models/marts/segmentation; `dbt_segmentation_models` are the
models that read Spark's Parquet and run after it. dbt data tests become asset checks.
Importing this module needs the manifest: orchestration/definitions.py prepares it first.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.dbt_build import build_and_describe
from orchestration.dbt_selection import keep_selections
from orchestration.project import SEGMENTATION_MODELS, dbt_project
from orchestration.resources import DUCKDB_POOL, RetailResource
from orchestration.translator import RetailDbtTranslator
from retail.settings import Settings

DIM_PRODUCTS = dg.AssetKey(["gold", "dim_products"])
TRANSLATOR = RetailDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def _dbt_selection(name: str, **selection: str) -> dg.AssetsDefinition:
    """One `dbt build` step over the models picked by `select=` / `exclude=` (evaluated once
    per parse: orchestration/dbt_selection.py)."""
    keep_selections()

    @dbt_assets(
        manifest=dbt_project().manifest_path,
        project=dbt_project(),
        dagster_dbt_translator=TRANSLATOR,
        name=name,
        pool=DUCKDB_POOL,
        **selection,
    )
    def _build(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, retail: RetailResource
    ) -> Iterator[Any]:
        settings = retail.settings()
        yield from build_and_describe(context, dbt, settings,
                                      on_built=lambda: _products_built(context, settings))

    return _build


def _products_built(context: dg.AssetExecutionContext, settings: Settings) -> None:
    """Once dbt has built gold's products (and exited): in `retail run`, MongoDB's pass over
    `events`, which joins them, starts now instead of at the Spark step
    (retail/nosql/early_sync.py `gold_built`); elsewhere nothing happens."""
    if DIM_PRODUCTS in context.selected_asset_keys:
        from retail.nosql import early_sync

        early_sync.gold_built(settings)


# Silver and gold: staging, intermediate, marts (except segmentation), with their tests.
dbt_models = _dbt_selection("dbt_models", exclude=SEGMENTATION_MODELS)

# gold.customer_segments and gold.kpi_customer_tiers, read from Spark's Parquet.
dbt_segmentation_models = _dbt_selection("dbt_segmentation_models", select=SEGMENTATION_MODELS)
