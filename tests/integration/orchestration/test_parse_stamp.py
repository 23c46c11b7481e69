"""`retail run` parses the dbt project only when something a parse reads changed
(orchestration/project.py `refresh_manifest`, `parse_stamp`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.project import parse_stamp
from retail.dbt import dbt_vars
from retail.settings import DBT_PROJECT_DIR, Settings

REFRESH = """
import sys
from pathlib import Path
from orchestration.project import refresh_manifest
from retail.settings import Settings
refresh_manifest(Settings.rooted_at(Path(sys.argv[1])))
"""


def _refresh(target: Path, root: Path) -> None:
    env = {**os.environ, "DBT_TARGET_PATH": str(target)}
    proc = subprocess.run([sys.executable, "-c", REFRESH, str(root)], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_second_refresh_on_unchanged_project_runs_no_dbt(tmp_path: Path) -> None:
    target = tmp_path / "target"
    _refresh(target, tmp_path / "a")
    manifest = target / "manifest.json"
    first = manifest.stat().st_mtime_ns
    _refresh(target, tmp_path / "a")
    assert manifest.stat().st_mtime_ns == first  # no parse: the manifest was not rewritten
    _refresh(target, tmp_path / "b")  # another warehouse: other vars, parsed again
    assert manifest.stat().st_mtime_ns > first
    assert str(tmp_path / "b") in manifest.read_text()  # the vars the build steps will pass


def test_stamp_follows_project_files_and_vars(tmp_path: Path) -> None:
    vars_a = dbt_vars(Settings.rooted_at(tmp_path / "a"))
    before = parse_stamp(vars_a)
    assert parse_stamp(vars_a) == before
    assert parse_stamp(dbt_vars(Settings.rooted_at(tmp_path / "b"))) != before
    model = next((DBT_PROJECT_DIR / "models").rglob("*.sql"))
    stat = model.stat()
    try:
        os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert parse_stamp(vars_a) != before  # an edited model: parse again
    finally:
        os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert parse_stamp(vars_a) == before
