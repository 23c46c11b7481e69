"""The dbt project as Dagster sees it: described once, prepared on purpose, never by an import.

The project is prepared the way Dagster's dbt projects are: `prepare_if_dev()` re-parses it
under `dagster dev` (edits show at once, on every load of the definitions); `retail run`
parses it explicitly with `refresh_manifest()` before it builds the definitions; loading the
definitions elsewhere (`dagster definitions validate`, tests) parses only a missing manifest.
Importing this module (or the resources) starts no dbt process. dbt's own `DBT_TARGET_PATH`
variable moves `target/` elsewhere (tests: a tmp dir).

The parse gets the same `--vars` as the run's `dbt build` steps (retail/dbt.py `dbt_vars`):
dbt keeps the parse in `partial_parse.msgpack`, which dagster-dbt copies into each step's
target folder, and dbt reuses it only when vars and profile are unchanged. With other vars
every `dbt build` step parsed the whole project again (measured: 6-10 s per step).

`dbt parse` itself is skipped when nothing it reads changed since the last parse into the same
target folder (orchestration/dbt_parse.py: a stamp of the project files, the vars and dbt's
version). A run on an unchanged project so starts no dbt process before its steps.
"""

from __future__ import annotations

import functools
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.dbt_cli import LocalDbtCliResource
from orchestration.dbt_parse import STAMP, parse_is_current, parse_stamp, target_path
from retail.dbt import dbt_executable, dbt_vars
from retail.settings import DBT_PROFILES_DIR, DBT_PROJECT_DIR, Settings

# dbt models that read the Spark output; they run after the segmentation asset.
SEGMENTATION_MODELS = "path:models/marts/segmentation"


@functools.cache
def dbt_project() -> DbtProject:
    """The project, described once per process (its manifest may not exist yet)."""
    return DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=DBT_PROFILES_DIR,
        target_path=target_path(),
    )


_parsed_in_this_process = False


def refresh_manifest(settings: Settings) -> Path:
    """Parse the dbt project (`dbt parse`) so the manifest matches the model files on disk,
    with the vars the dbt steps of a run on `settings` pass (so their builds parse nothing).
    Nothing runs when the last parse into this target folder saw the same files and vars."""
    global _parsed_in_this_process
    project = dbt_project()
    if not _parsed_in_this_process:
        vars_args = dbt_vars(settings)
        stamp_file = project.project_dir / project.target_path / STAMP
        if not parse_is_current(vars_args):
            stamp = parse_stamp(vars_args)
            stamp_file.unlink(missing_ok=True)
            (
                LocalDbtCliResource(project_dir=project, dbt_executable=dbt_executable())
                .cli(["parse", "--quiet", *vars_args], target_path=project.target_path)
                .wait()
            )
            stamp_file.write_text(stamp)
        _parsed_in_this_process = True
    return project.manifest_path


def prepare_if_dev(settings: Settings) -> Path:
    """Before the dbt assets are built: re-parse under `dagster dev`, parse a missing manifest
    elsewhere (a manifest `retail run` or an earlier load prepared is used as it is)."""
    project = dbt_project()
    if project.preparer.using_dagster_dev() or not project.manifest_path.exists():
        return refresh_manifest(settings)
    return project.manifest_path
