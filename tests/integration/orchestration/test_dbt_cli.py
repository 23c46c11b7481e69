"""The dbt CLI resource skips dagster-dbt's per-invocation `dbt --version` and adapter load,
and still answers what dagster-dbt asks of it (orchestration/dbt_cli.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cached_property

from dagster_dbt import DbtCliResource

from orchestration.dbt_cli import LocalDbtCliResource
from orchestration.project import dbt_project
from retail.dbt import dbt_executable


def test_overridden_members_still_exist_in_dagster_dbt() -> None:
    """An upgrade that renames them would silently bring the two dbt start-ups back."""
    assert isinstance(DbtCliResource.__dict__["_cli_version"], cached_property)
    assert callable(DbtCliResource.__dict__["_initialize_dbt_core_adapter"])


def test_version_is_the_installed_dbt_executables() -> None:
    output = subprocess.run([dbt_executable(), "--version"], capture_output=True, text=True,
                            check=True).stdout
    reported = re.search(r"(\d+\.\d+\.\d+)", output).group(1)
    resource = LocalDbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_executable())
    assert str(resource._cli_version) == reported


def test_a_dbt_command_loads_no_dbt_into_this_process(tmp_path) -> None:
    """A real `dbt parse` through the resource; the caller loads no dbt project or adapter
    (dagster-dbt itself imports dbt's adapter base classes; the DuckDB adapter plugin and dbt's
    project loader are what the in-process load brings)."""
    script = f"""
import sys
from pathlib import Path
from orchestration.dbt_cli import LocalDbtCliResource
from orchestration.project import dbt_project
from retail.dbt import dbt_executable
resource = LocalDbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_executable())
invocation = resource.cli(["parse", "--quiet"], target_path=Path({str(tmp_path)!r}))
invocation.wait()
assert invocation.is_successful()
print(sorted(m for m in ("dbt.adapters.duckdb", "dbt.config.runtime") if m in sys.modules))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "manifest.json").exists()


def test_a_steps_dbt_writes_no_debug_log_file_unless_asked(tmp_path, monkeypatch) -> None:
    """dbt's file log (every SQL statement, JSON under Dagster) costs a build ~15% of its CPU:
    the run's dbt resource turns it off; DBT_LOG_LEVEL_FILE turns it back on."""
    from orchestration.resources import dbt_resource

    monkeypatch.delenv("DBT_LOG_LEVEL_FILE", raising=False)
    invocation = dbt_resource().cli(["parse", "--quiet"], target_path=tmp_path / "quiet")
    invocation.wait()
    assert invocation.is_successful()
    assert (tmp_path / "quiet" / "manifest.json").exists()
    assert not (tmp_path / "quiet" / "dbt.log").exists()

    monkeypatch.setenv("DBT_LOG_LEVEL_FILE", "debug")
    invocation = dbt_resource().cli(["parse", "--quiet"], target_path=tmp_path / "debug")
    invocation.wait()
    assert invocation.is_successful()
    assert "Running with dbt" in (tmp_path / "debug" / "dbt.log").read_text()
