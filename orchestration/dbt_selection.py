"""dbt's selections of the dbt assets, kept beside the parse, so `retail run` does without dbt-core.

Why: dagster-dbt evaluates `@dbt_assets(select=..., exclude=...)` with dbt-core's own selector
in the process that builds the definitions, and imports dbt-core as it is imported itself
(`dagster_dbt.compat`, to learn its version). In `retail run` that is ~1.2 s of a core before
the first step (measured on a real-size extract: importing dagster-dbt 1.9-2.1 s with dbt-core,
0.9 s without; the definitions 0.46 -> 0.26 s), for two selections that change only when the
project is parsed again. dbt itself runs in processes of its own (orchestration/dbt_forkserver.py).

So each selection is evaluated by dagster-dbt with dbt-core, as always, once per parse, and kept
in `retail_selections.json` beside the manifest, with the manifest's dbt invocation id
(`selected_unique_ids`, which `@dbt_assets` calls through `keep_selections()`). `retail run` on a
current parse whose selections are kept imports dagster-dbt with dbt-core hidden
(`import_dagster_dbt_without_dbt_core`): dagster-dbt then takes dbt to be installed elsewhere,
which it supports (dbt Fusion, or dbt-core in another environment: it runs the executable), and
the dbt assets take the kept selections. Everywhere else (`dagster dev`, tests, a run after a new
parse) dagster-dbt imports dbt-core as before; a selection kept for the same manifest is taken
as it is, any other is evaluated and kept for the next run. A selection asked for while dbt-core
is hidden and not kept (the code asks for a new one) is evaluated by a Python process that
imports dbt-core (`python -m orchestration.dbt_selection`).

Private parts of dagster-dbt this relies on: `dagster_dbt.compat.DBT_PYTHON_VERSION` (None when
dbt-core could not be imported) and `dagster_dbt.asset_utils.select_unique_ids`, which
`@dbt_assets` calls; tests/integration/orchestration/test_dbt_selection.py fails when an upgrade
changes either (the run would only get slower, or fail at its start: never wrong).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dagster_dbt import DbtProject

FILE_NAME = "retail_selections.json"


def kept_file(manifest_path: Path) -> Path:
    return manifest_path.with_name(FILE_NAME)


def _read(path: Path) -> dict[str, Any]:
    try:
        kept = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return kept if isinstance(kept, dict) else {}


def _write(path: Path, kept: dict[str, Any]) -> None:
    """Whole or not at all: another process (`dagster dev`) may read or write it meanwhile. A
    target folder that cannot be written keeps nothing (the next run evaluates again)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        temporary.write_text(json.dumps(kept))
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _manifest_stat(manifest_path: Path) -> list[int]:
    stat = manifest_path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def kept_for(manifest_path: Path) -> bool:
    """Whether selections were kept for the manifest file as it is now (its size and mtime; the
    selections themselves are matched to the manifest's invocation id when asked for)."""
    try:
        return _read(kept_file(manifest_path)).get("manifest_stat") == _manifest_stat(manifest_path)
    except OSError:
        return False


def import_dagster_dbt_without_dbt_core() -> None:
    """Import dagster-dbt as if dbt-core were not installed (see the module). Nothing when
    either is imported already: dbt-core then costs nothing more."""
    if "dagster_dbt" in sys.modules or "dbt" in sys.modules:
        return
    sys.modules["dbt"] = None  # type: ignore[assignment]  # `import dbt...` raises ImportError
    try:
        import dagster_dbt  # noqa: F401
    finally:
        del sys.modules["dbt"]


def dbt_core_hidden() -> bool:
    """Whether this process imported dagster-dbt with dbt-core hidden."""
    from dagster_dbt import compat

    return compat.DBT_PYTHON_VERSION is None


def _key(select: str, exclude: str, selector: str) -> str:
    return json.dumps([select, exclude, selector])


def selected_unique_ids(select: str, exclude: str, selector: str, project: DbtProject | None,
                        manifest_json: Mapping[str, Any]) -> set[str]:
    """dagster-dbt's `select_unique_ids`, kept per manifest beside it (see the module)."""
    from dagster_dbt import utils

    invocation = manifest_json.get("metadata", {}).get("invocation_id")
    if project is None or not invocation:
        return set(utils.select_unique_ids(select, exclude, selector, project, manifest_json))
    path = kept_file(project.manifest_path)
    kept = _read(path)
    selections = kept.get("selections", {}) if kept.get("invocation_id") == invocation else {}
    key = _key(select, exclude, selector)
    if key in selections:
        return set(selections[key])
    if dbt_core_hidden():
        return set(_evaluate_elsewhere(select, exclude, selector, project, invocation))
    ids = set(utils.select_unique_ids(select, exclude, selector, project, manifest_json))
    if project.manifest_path.exists():
        _write(path, {"invocation_id": invocation,
                      "manifest_stat": _manifest_stat(project.manifest_path),
                      "selections": {**selections, key: sorted(ids)}})
    return ids


def keep_selections() -> None:
    """Make `@dbt_assets` take its selections from `selected_unique_ids`."""
    from dagster_dbt import asset_utils

    asset_utils.select_unique_ids = selected_unique_ids


def _evaluate_elsewhere(select: str, exclude: str, selector: str, project: DbtProject,
                        invocation: str) -> list[str]:
    """The selection, by a Python process that imports dbt-core (and keeps it for next time)."""
    request = {"select": select, "exclude": exclude, "selector": selector,
               "project_dir": str(project.project_dir), "profiles_dir": str(project.profiles_dir),
               "target_path": str(project.target_path), "invocation_id": invocation}
    done = subprocess.run([sys.executable, "-m", "orchestration.dbt_selection"],
                          input=json.dumps(request), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"evaluating the dbt selection {request} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def main() -> None:
    """`python -m orchestration.dbt_selection`: one selection on the project's manifest, asked
    for as JSON on stdin, printed as a JSON list of unique ids."""
    from dagster_dbt import DbtProject

    request = json.load(sys.stdin)
    project = DbtProject(project_dir=request["project_dir"], profiles_dir=request["profiles_dir"],
                         target_path=request["target_path"])
    manifest = json.loads(project.manifest_path.read_text())
    found = manifest.get("metadata", {}).get("invocation_id")
    if found != request["invocation_id"]:
        sys.exit(f"{project.manifest_path} changed meanwhile (dbt invocation {found}, "
                 f"asked about {request['invocation_id']})")
    ids = selected_unique_ids(request["select"], request["exclude"], request["selector"],
                              project, manifest)
    print(json.dumps(sorted(ids)))


if __name__ == "__main__":
    main()
