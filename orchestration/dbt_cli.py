"""dagster-dbt's dbt CLI resource, without the two dbt start-ups it adds to every invocation.

Before each `dbt` command, `DbtCliResource` (dagster-dbt 0.29) runs `dbt --version` in a
subprocess once per resource instance (Dagster makes one per step) to learn whether the
executable is dbt Fusion, and loads the dbt project, profile and adapter into this process for
`fetch_row_counts()` / `fetch_column_metadata()`. Measured here: 2-3 s for the version process
and 1-3 s for the in-process load (the first one also imports dbt), per dbt step, on a quiet
machine; several times that under load. Neither buys the platform anything: the executable is
the dbt-core installed beside this Python (retail/dbt.py `dbt_executable`), so its version is
that package's, and the platform reads table metadata with DuckDB after the build
(orchestration/dbt_build.py), never through dbt's adapter.

Both are private members of dagster-dbt: tests/integration/orchestration/test_dbt_cli.py fails
when an upgrade renames them (the run would only get slower, never wrong).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as package_version
from typing import Any

from dagster_dbt import DbtCliResource
from packaging import version


class LocalDbtCliResource(DbtCliResource):
    """`DbtCliResource` for the dbt-core installed in this environment."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(package_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None  # no in-process adapter: the platform never fetches metadata through dbt
