"""Running `dbt build` for a Dagster step and enriching its events with warehouse metadata.

DuckDB lets one process write the file, and dbt holds it for the whole build, so the metadata
(row counts, schema, preview, headline figures) is read after dbt exits; the events are then
yielded in dbt's order. dbt unit tests are left to `dbt build` from the CLI and CI.
"""

import contextlib
import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.kpis import headline_metadata
from orchestration.metadata import table_metadata
from retail.dbt import dbt_vars
from retail.settings import Settings
from retail.warehouse import catalog_columns, connect

BUILD_ARGS = ["build", "--exclude", "resource_type:unit_test"]


def ensure_warehouse_free(settings: Settings) -> None:
    """Fail with WarehouseLockedError (a clear message) when another process holds the file."""
    connect(settings.duckdb_path).close()


def model_seconds(event: dg.Output) -> float | None:
    """The model's own run time, from dbt's node timing (dagster-dbt's "Execution Duration")."""
    value = event.metadata.get("Execution Duration")
    value = getattr(value, "value", value)
    return round(float(value), 3) if isinstance(value, int | float) else None


def _enrich(
    context: dg.AssetExecutionContext, events: list[Any], settings: Settings,
    timing: dict[str, float],
) -> Iterator[Any]:
    """Add warehouse metadata to each model's Output: `duration_seconds` is the model's own
    time; `timing` the step's whole `dbt build` (see `build_timing`)."""
    with connect(settings.duckdb_path, read_only=True) as con:
        catalog = catalog_columns(con)  # the models dbt left, and their columns
        for event in events:
            if isinstance(event, dg.Output):
                key = context.asset_key_for_output(event.output_name)
                schema, name = key.path[0], key.path[-1]
                columns = catalog.get((schema, name))
                if columns is not None:
                    own = model_seconds(event)
                    times = {name: dg.MetadataValue.float(value) for name, value in timing.items()}
                    if own is not None:
                        times["duration_seconds"] = dg.MetadataValue.float(own)
                    extra = {**table_metadata(con, schema, name, columns=columns),
                             **headline_metadata(con, name, context.log), **times}
                    event = event.with_metadata({**event.metadata, **extra})
            yield event


def build_and_describe(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: Settings,
    on_built: Callable[[], None] | None = None,
) -> Iterator[Any]:
    """`dbt build` the selected models and tests; fail the step when dbt fails.
    `on_built`: called once dbt has exited successfully, before its events are described."""
    ensure_warehouse_free(settings)
    started = time.perf_counter()
    # The run's warehouse reaches this one dbt process as dbt vars (see retail/dbt.py dbt_vars).
    invocation = dbt.cli([*BUILD_ARGS, *dbt_vars(settings)], context=context, raise_on_error=False)
    try:
        events = list(invocation.stream())
    except KeyError as exc:  # dbt found a node the loaded manifest does not have
        invocation.process.kill()
        raise dg.Failure(
            f"the dbt project changed after Dagster loaded it (unknown node {exc}); "
            "reload the definitions (dagster dev: 'Reload') or start the run again"
        ) from None
    timing = build_timing(invocation, time.perf_counter() - started)
    if on_built is not None and invocation.is_successful():
        on_built()
    yield from _enrich(context, events, settings, timing)
    if invocation.is_successful():
        shutil.rmtree(invocation.target_path, ignore_errors=True)  # kept only when dbt failed
    else:
        raise dg.Failure(
            description=f"dbt build failed: {failed_nodes(invocation)}",
            metadata={"dbt_target_path": dg.MetadataValue.path(str(invocation.target_path))},
        )


def build_timing(invocation: Any, wall: float) -> dict[str, float]:
    """The step's `dbt build`: `dbt_build_seconds` from process start to its last event,
    `dbt_elapsed_seconds` dbt's own time for its nodes (run_results.json `elapsed_time`,
    without dbt's start-up and parse); the difference is what a dbt invocation costs."""
    timing = {"dbt_build_seconds": round(wall, 3)}
    with contextlib.suppress(OSError, KeyError, ValueError, TypeError):  # dbt failed early
        timing["dbt_elapsed_seconds"] = round(
            float(invocation.get_artifact("run_results.json")["elapsed_time"]), 3)
    return timing


def failed_nodes(invocation: Any, limit: int = 5) -> str:
    """The dbt nodes that errored or failed, with dbt's message, from run_results.json."""
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except (OSError, KeyError, ValueError):
        return str(invocation.get_error())
    bad = [r for r in results if r.get("status") in ("error", "fail", "runtime error")]
    lines = [f"{r['unique_id']} ({r['status']}: {(r.get('message') or '').strip()[:200]})"
             for r in bad[:limit]]
    more = f" and {len(bad) - limit} more" if len(bad) > limit else ""
    return "; ".join(lines) + more if lines else str(invocation.get_error())
