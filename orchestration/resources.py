"""Dagster resources: the platform settings and the dbt CLI.

Settings are read by `retail.settings.Settings.from_env()` (the one place that reads the
environment, with working defaults). The resource only allows a run (or a test) to override the
paths; unset fields fall back to the environment, so `dagster dev` needs no configuration.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.project import dbt_project
from retail.dbt import dbt_executable
from retail.settings import Settings

_OVERRIDES = {
    "duckdb_path": "RETAIL_DUCKDB_PATH",
    "raw_dir": "RETAIL_RAW_DIR",
    "export_dir": "RETAIL_EXPORT_DIR",
    "data_dir": "RETAIL_DATA_DIR",
}


class RetailResource(dg.ConfigurableResource):
    """Where the warehouse, landing folder, exports and data live (defaults: the environment)."""

    duckdb_path: str | None = None
    raw_dir: str | None = None
    export_dir: str | None = None
    data_dir: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> RetailResource:
        return cls(**{field: str(getattr(settings, field)) for field in _OVERRIDES})

    def settings(self) -> Settings:
        env = dict(os.environ)
        for field, var in _OVERRIDES.items():
            value = getattr(self, field)
            if value:
                env[var] = value
        return Settings.from_env(env)


@contextmanager
def dbt_environment(settings: Settings) -> Iterator[None]:
    """Make a dbt subprocess started inside the block see the same warehouse as `settings`.

    dagster-dbt passes `os.environ` to dbt; the profile reads RETAIL_DUCKDB_PATH from it. Steps run
    one at a time in-process (see definitions.py), so a temporary override is safe.
    """
    saved = {name: os.environ.get(name) for name in settings.dbt_env()}
    os.environ.update(settings.dbt_env())
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def default_resources() -> dict[str, object]:
    dbt = DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())
    return {"retail": RetailResource(), "dbt": dbt}
