"""dbt's selections of the dbt assets are kept per parse, and `retail run` then does without
dbt-core in its own process (orchestration/dbt_selection.py).

The definitions built with dbt-core hidden are the ones built with it (every asset, dependency,
check and the dbt steps' selections), a selection not kept is evaluated by dbt-core in another
process, and a real second `retail run` loads no dbt-core and ends as the first did.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dagster_dbt import DbtProject, asset_utils, compat, utils

from orchestration import dbt_selection
from orchestration.project import dbt_project, prepare_if_dev
from retail.settings import DBT_PROFILES_DIR, DBT_PROJECT_DIR, Settings

DESCRIBE = """
import json, sys
from orchestration import dbt_selection
if sys.argv[1] == "hidden":
    dbt_selection.import_dagster_dbt_without_dbt_core()
from orchestration.assets import dbt as dbt_assets
from orchestration.definitions import build_definitions
from retail.settings import Settings
graph = build_definitions(Settings.from_env()).resolve_asset_graph()
keys = graph.get_all_asset_keys()
print(json.dumps({
    "dbt_core_hidden": dbt_selection.dbt_core_hidden(),
    "dbt_core_imported": "dbt.version" in sys.modules,
    "deps": {k.to_user_string(): sorted(p.to_user_string() for p in graph.get(k).parent_keys)
             for k in keys},
    "checks": sorted(c.to_user_string() for c in graph.asset_check_keys),
    "dbt_steps": {name: {tag: value for tag, value in getattr(dbt_assets, name).op.tags.items()
                         if "dbt" in tag}
                  for name in ("dbt_models", "dbt_segmentation_models")},
}))
"""


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """A target folder holding a copy of the project's manifest (parsed once per session)."""
    prepare_if_dev(Settings.from_env())
    folder = tmp_path / "target"
    folder.mkdir()
    shutil.copy2(dbt_project().manifest_path, folder / "manifest.json")
    return folder


def _describe(mode: str, target: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", DESCRIBE, mode], capture_output=True, text=True,
                          env={**os.environ, "DBT_TARGET_PATH": str(target)})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_parts_of_dagster_dbt_this_relies_on_still_exist() -> None:
    """An upgrade that changes them makes `retail run` slower or stop at its start: say so here."""
    assert compat.DBT_PYTHON_VERSION is not None  # this process imported dbt-core
    assert "select_unique_ids" in asset_utils.build_dbt_specs.__code__.co_names
    assert callable(utils.select_unique_ids)


def test_definitions_without_dbt_core_are_the_ones_with_it(target: Path) -> None:
    with_dbt = _describe("normal", target)
    assert with_dbt["dbt_core_imported"] and not with_dbt["dbt_core_hidden"]
    kept_file = dbt_selection.kept_file(target / "manifest.json")
    kept = json.loads(kept_file.read_text())
    assert len(kept["selections"]) == 2  # one per dbt step
    assert dbt_selection.kept_for(target / "manifest.json")

    without = _describe("hidden", target)
    assert without["dbt_core_hidden"] and not without["dbt_core_imported"]
    for part in ("deps", "checks", "dbt_steps"):
        assert without[part] == with_dbt[part], part
    assert len(with_dbt["checks"]) > 200 and "gold/customer_segments" in with_dbt["deps"]

    # a selection that is not kept (the code asks for a new one): dbt-core evaluates it in a
    # process of its own, which keeps it for the next run
    dropped, ids = next(iter(kept["selections"].items()))
    del kept["selections"][dropped]
    kept_file.write_text(json.dumps(kept))
    assert _describe("hidden", target) == without
    assert json.loads(kept_file.read_text())["selections"][dropped] == ids


def test_kept_selections_belong_to_one_manifest(target: Path) -> None:
    """Another parse (another dbt invocation id) evaluates the selections again."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROFILES_DIR,
                         target_path=target)
    manifest = json.loads((target / "manifest.json").read_text())
    select = "path:models/marts/segmentation"
    segmentation = dbt_selection.selected_unique_ids(select, "", "", project, manifest)
    assert segmentation == utils.select_unique_ids(select, "", "", project, manifest)
    assert "model.retail.customer_segments" in segmentation

    kept_file = dbt_selection.kept_file(target / "manifest.json")
    kept = json.loads(kept_file.read_text())
    kept["selections"][json.dumps([select, "", ""])] = ["model.retail.not_a_model"]
    kept_file.write_text(json.dumps(kept))
    assert dbt_selection.selected_unique_ids(select, "", "", project, manifest) == {
        "model.retail.not_a_model"}  # the same manifest: what is kept is what counts

    manifest["metadata"]["invocation_id"] = "another-parse"
    (target / "manifest.json").write_text(json.dumps(manifest))
    assert not dbt_selection.kept_for(target / "manifest.json")
    assert dbt_selection.selected_unique_ids(select, "", "", project, manifest) == segmentation
    assert json.loads(kept_file.read_text())["invocation_id"] == "another-parse"
    assert dbt_selection.kept_for(target / "manifest.json")


def test_a_second_retail_run_loads_no_dbt_core_and_ends_as_the_first(tiny_extract,
                                                                    tmp_path: Path,
                                                                    run_env) -> None:
    """The user's next run of the same command: its process keeps dbt-core out (the parse and
    the selections are current), and every step, check and gold table comes out the same."""
    records = []
    with run_env(tmp_path / "root") as settings:
        env = {**settings.child_env(), "DBT_TARGET_PATH": str(tmp_path / "target")}
        for _ in range(2):
            out = subprocess.run([str(Path(sys.executable).with_name("retail")), "run", "--raw",
                                  str(tiny_extract.path)], capture_output=True, text=True,
                                 timeout=1800, env=env)
            assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
            (record_file,) = set((settings.data_dir / "logs").glob("run-*.json")) - {
                Path(r["file"]) for r in records}
            records.append({**json.loads(record_file.read_text()), "file": str(record_file)})
    first, second = records
    assert first["dbt_core_imported"] and not second["dbt_core_imported"]
    assert second["ok"] and first["ok"]
    assert [(s["step"], s["status"]) for s in second["steps"]] == [
        (s["step"], s["status"]) for s in first["steps"]]
    assert sorted((c["check"], c["passed"]) for c in second["checks"]) == sorted(
        (c["check"], c["passed"]) for c in first["checks"])
    assert second["gold_rows"] == first["gold_rows"]
    assert first["gold_rows"]["fct_sales"] == tiny_extract.manifest["truth"]["order_lines"]
