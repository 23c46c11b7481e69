"""Dagster resources: the platform settings and the dbt CLI, and the pool of warehouse writers.

The settings travel as a value: `retail run` reads them once and binds
`RetailResource.from_settings(settings)`; `dagster dev` does the same with the environment's
settings, read once in definitions.py. Assets ask the resource for the value back (`settings()`);
nothing re-reads the environment during a run.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import dagster as dg

from orchestration.dbt_cli import LocalDbtCliResource
from orchestration.project import dbt_project
from retail.dbt import dbt_executable
from retail.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, Settings

# DuckDB allows one writer per file: every step that writes the warehouse runs in this pool.
DUCKDB_POOL = "duckdb_writer"

_PATHS = {f.name for f in dataclasses.fields(Settings) if f.type in ("Path", Path, "Path | None")}


class RetailResource(dg.ConfigurableResource):
    """Where the warehouse, landing folder, exports and data live, and how to reach MongoDB and
    Spark: a `Settings` value as resource config (same field names)."""

    duckdb_path: str
    raw_dir: str
    export_dir: str
    data_dir: str
    mongodb_uri: str | None = None
    spark_remote: str | None = None
    spark_master: str = "local[*]"
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    spark_class_cache: str | None = None  # None: no class archive

    @classmethod
    def from_settings(cls, settings: Settings) -> RetailResource:
        """The resource holding `settings`. A MongoDB URI read from MONGODB_URI stays a reference
        to that variable, so its password never shows in the resource config `dagster dev` shows."""
        values: dict[str, object] = {
            f.name: (str(v) if f.name in _PATHS else v)
            for f in dataclasses.fields(Settings)
            if (v := getattr(settings, f.name)) is not None
        }
        if settings.mongodb_uri and settings.mongodb_uri == os.environ.get("MONGODB_URI"):
            values["mongodb_uri"] = dg.EnvVar("MONGODB_URI")
        return cls(**values)

    def settings(self) -> Settings:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(Settings)}
        if isinstance(values["mongodb_uri"], dg.EnvVar):  # a resource Dagster did not initialize
            values["mongodb_uri"] = values["mongodb_uri"].get_value()
        return Settings(**{name: Path(v) if name in _PATHS and v is not None else v
                           for name, v in values.items()})


def dbt_file_log_flags() -> list[str]:
    """No `dbt.log` file in a Dagster step's dbt target folder, unless DBT_LOG_LEVEL_FILE asks
    for one (e.g. `debug`).

    Why: dbt logs every event to that file at debug level, in JSON under Dagster, one event per
    SQL statement; serializing them cost ~1.5 s of a real-size build's ~11 s of dbt's CPU
    (258 tests, measured in benchmarks/RESULTS.md). The run log keeps dbt's own output (every
    node, its status, time and error), and a failed build keeps its target folder (compiled SQL,
    run_results.json)."""
    return [] if os.environ.get("DBT_LOG_LEVEL_FILE") else ["--log-level-file", "none"]


def dbt_resource() -> LocalDbtCliResource:
    """dbt through `retail-dbt` (orchestration/dbt_client.py): the warm dbt server of a
    `retail run`, the real `dbt` elsewhere; the real `dbt` where the script is not installed."""
    client = Path(sys.executable).with_name("retail-dbt")
    executable = str(client) if client.exists() else dbt_executable()
    return LocalDbtCliResource(project_dir=dbt_project(), dbt_executable=executable,
                               global_config_flags=dbt_file_log_flags())


def resources_for(settings: Settings) -> dict[str, object]:
    """The resources of a run (or of `dagster dev`) on `settings`."""
    return {"retail": RetailResource.from_settings(settings), "dbt": dbt_resource()}
