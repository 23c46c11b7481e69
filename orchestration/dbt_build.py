"""Running `dbt build` for a Dagster step and enriching its events with warehouse metadata.

DuckDB lets one process write the file, and dbt holds it for the whole build, so the metadata
(row counts, schema, preview, headline figures) is read after dbt exits; the events are then
yielded in dbt's order. dbt unit tests are left to `dbt build` from the CLI and CI.
"""


import time
from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.kpis import headline_metadata
from orchestration.metadata import relation_exists, table_metadata
from orchestration.resources import dbt_environment
from retail.settings import Settings
from retail.warehouse import connect

BUILD_ARGS = ["build", "--exclude", "resource_type:unit_test"]


def ensure_warehouse_free(settings: Settings) -> None:
    """Fail with WarehouseLockedError (a clear message) when another process holds the file."""
    connect(settings.duckdb_path).close()


def _enrich(
    context: dg.AssetExecutionContext, events: list[Any], settings: Settings, seconds: float
) -> Iterator[Any]:
    with connect(settings.duckdb_path, read_only=True) as con:
        for event in events:
            if isinstance(event, dg.Output):
                key = context.asset_key_for_output(event.output_name)
                schema, name = key.path[0], key.path[-1]
                if relation_exists(con, schema, name):
                    extra = {**table_metadata(con, schema, name),
                             **headline_metadata(con, name, context.log),
                             "dbt_build_seconds": dg.MetadataValue.float(seconds)}
                    event = event.with_metadata({**event.metadata, **extra})
            yield event


def build_and_describe(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: Settings
) -> Iterator[Any]:
    """`dbt build` the selected models and tests; fail the step when dbt fails."""
    ensure_warehouse_free(settings)
    started = time.perf_counter()
    with dbt_environment(settings):
        invocation = dbt.cli(BUILD_ARGS, context=context, raise_on_error=False)
        events = list(invocation.stream())
    seconds = round(time.perf_counter() - started, 3)
    yield from _enrich(context, events, settings, seconds)
    if not invocation.is_successful():
        raise dg.Failure(
            description=f"dbt build failed: {invocation.get_error()}",
            metadata={"dbt_target_path": dg.MetadataValue.path(str(invocation.target_path))},
        )
