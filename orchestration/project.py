"""The dbt project as Dagster sees it: described once, parsed on demand.

`dagster dev` re-parses the project on every load (as `prepare_if_dev` would): edits show at once.
Elsewhere (`dagster definitions validate`, `retail run`, tests) the manifest is parsed when it is
missing; `retail run` refreshes it explicitly with `refresh_manifest()` before loading the
definitions. dbt's own `DBT_TARGET_PATH` variable moves `target/` elsewhere (tests: a tmp dir).
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from retail.dbt import dbt_executable
from retail.settings import DBT_PROFILES_DIR, DBT_PROJECT_DIR

# dbt models that read the Spark output; they run after the segmentation asset.
SEGMENTATION_MODELS = "path:models/marts/segmentation"

dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROFILES_DIR,
    target_path=Path(os.environ.get("DBT_TARGET_PATH") or "target"),
)


_parsed_in_this_process = False


def refresh_manifest() -> Path:
    """Parse the dbt project (`dbt parse`) so the manifest matches the model files on disk."""
    global _parsed_in_this_process
    if not _parsed_in_this_process:
        (
            DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())
            .cli(["parse", "--quiet"], target_path=dbt_project.target_path)
            .wait()
        )
        _parsed_in_this_process = True
    return dbt_project.manifest_path


if dbt_project.preparer.using_dagster_dev() or not dbt_project.manifest_path.exists():
    refresh_manifest()
