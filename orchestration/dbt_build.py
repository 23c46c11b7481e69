"""Running `dbt build` for a Dagster step and giving its events the warehouse's metadata.

Each model's Output carries its row count, schema, preview and headline figures, and its
checks' results follow it. DuckDB lets one process write the file, and dbt holds it for its
whole build: in a `retail run` the dbt process describes each model as it builds it
(orchestration/dbt_describe.py), and an Output is yielded, then its checks, as soon as its
description is final, while dbt goes on; the rest (all of them when dbt runs without the run's
dbt server, as under `dagster dev`) are read from the warehouse once dbt exits. The step logs
its `dbt build` timing (`timing_message`; the run record reads it back). dbt unit tests are
left to `dbt build` from the CLI and CI.
"""

import contextlib
import re
import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.dbt_describe import FILE_NAME, Descriptions
from orchestration.describe import describe_table
from orchestration.kpis import headline_entry
from orchestration.metadata import description_metadata, headline_metadata
from retail.dbt import dbt_vars
from retail.settings import Settings
from retail.warehouse import catalog_columns, connect

BUILD_ARGS = ["build", "--exclude", "resource_type:unit_test"]
_TIMING = re.compile(r"dbt build: ([0-9.]+) s from start to exit"
                     r"(?:, dbt's own time for its nodes ([0-9.]+) s)?")


def ensure_warehouse_free(settings: Settings) -> None:
    """Fail with WarehouseLockedError (a clear message) when another process holds the file."""
    connect(settings.duckdb_path).close()


def model_seconds(event: dg.Output) -> float | None:
    """The model's own run time, from dbt's node timing (dagster-dbt's "Execution Duration")."""
    value = event.metadata.get("Execution Duration")
    value = getattr(value, "value", value)
    return round(float(value), 3) if isinstance(value, int | float) else None


def described(event: dg.Output, table: dict[str, Any], headline: dict[str, Any] | None,
              model: str, log: Any) -> dg.Output:
    """The Output with its table's description and headline figures as metadata;
    `duration_seconds` is the model's own time."""
    extra = {**description_metadata(table), **headline_metadata(headline, model, log)}
    own = model_seconds(event)
    if own is not None:
        extra["duration_seconds"] = dg.MetadataValue.float(own)
    return event.with_metadata({**event.metadata, **extra})


class InOrder:
    """dbt's events as Dagster takes them: each model's Output once its description is final
    (orchestration/dbt_describe.py) and the Outputs of the step's models it depends on were
    yielded (Dagster takes a step's Outputs in dependency order), then its checks' results,
    which wait with it (an evaluation is tied to its asset's latest materialization); other
    events at once."""

    def __init__(self, context: dg.AssetExecutionContext, descriptions: Descriptions) -> None:
        self.context = context
        self.descriptions = descriptions
        self.building = {key.path[-1] for key in context.selected_asset_keys}
        self.deps = context.assets_def.asset_deps
        self.held: dict[dg.AssetKey, list[Any]] = {}  # in dbt's order

    def push(self, event: Any) -> Iterator[Any]:
        if isinstance(event, dg.Output):
            self.held[self.context.asset_key_for_output(event.output_name)] = [event]
            yield from self._release()
        elif isinstance(event, dg.AssetCheckResult) and event.asset_key in self.held:
            self.held[event.asset_key].append(event)
        else:
            yield event

    def _release(self) -> Iterator[Any]:
        self.descriptions.refresh()
        for key in list(self.held):  # dbt's order: a model's parents come before it
            if any(parent in self.held for parent in self.deps.get(key, ())):
                continue
            final = self.descriptions.final(key.path[0], key.path[-1], self.building)
            if final is not None:
                output, *checks = self.held.pop(key)
                yield described(output, *final, key.path[-1], self.context.log)
                yield from checks

    def rest(self, settings: Settings) -> Iterator[Any]:
        """Once dbt has exited: what is still held, described from the warehouse."""
        yield from self._release()
        if not self.held:
            return
        with connect(settings.duckdb_path, read_only=True) as con:
            catalog = catalog_columns(con)  # the models dbt left, and their columns
            for key, (output, *checks) in self.held.items():
                schema, name = key.path[0], key.path[-1]
                columns = catalog.get((schema, name))
                if columns is not None:
                    output = described(output, describe_table(con, schema, name, columns=columns),
                                       headline_entry(con, name), name, self.context.log)
                yield output
                yield from checks
        self.held.clear()


def build_and_describe(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: Settings,
    on_built: Callable[[], None] | None = None,
) -> Iterator[Any]:
    """`dbt build` the selected models and tests; fail the step when dbt fails.
    `on_built`: called once dbt has exited successfully, before the rest is described."""
    ensure_warehouse_free(settings)
    started = time.perf_counter()
    # The run's warehouse reaches this one dbt process as dbt vars (see retail/dbt.py dbt_vars).
    invocation = dbt.cli([*BUILD_ARGS, *dbt_vars(settings)], context=context, raise_on_error=False)
    events = iter(invocation.stream())
    in_order = InOrder(context, Descriptions(invocation.target_path / FILE_NAME))
    while True:
        try:
            event = next(events)
        except StopIteration:
            break
        except KeyError as exc:  # dbt found a node the loaded manifest does not have
            invocation.process.kill()
            raise dg.Failure(
                f"the dbt project changed after Dagster loaded it (unknown node {exc}); "
                "reload the definitions (dagster dev: 'Reload') or start the run again"
            ) from None
        yield from in_order.push(event)
    context.log.info(timing_message(build_timing(invocation, time.perf_counter() - started)))
    if on_built is not None and invocation.is_successful():
        on_built()
    yield from in_order.rest(settings)
    if invocation.is_successful():
        shutil.rmtree(invocation.target_path, ignore_errors=True)  # kept only when dbt failed
    else:
        raise dg.Failure(
            description=f"dbt build failed: {failed_nodes(invocation)}",
            metadata={"dbt_target_path": dg.MetadataValue.path(str(invocation.target_path))},
        )


def timing_message(timing: dict[str, float]) -> str:
    """What the step logs of `build_timing` (read back by `parse_timing`)."""
    message = f"dbt build: {timing['dbt_build_seconds']:.3f} s from start to exit"
    if "dbt_elapsed_seconds" in timing:
        message += f", dbt's own time for its nodes {timing['dbt_elapsed_seconds']:.3f} s"
    return message


def parse_timing(message: str) -> dict[str, float] | None:
    """`build_timing` from a message `timing_message` made; None for any other message."""
    match = _TIMING.fullmatch(message or "")
    if match is None:
        return None
    timing = {"dbt_build_seconds": float(match[1])}
    if match[2] is not None:
        timing["dbt_elapsed_seconds"] = float(match[2])
    return timing


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
