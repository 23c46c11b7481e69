"""`retail run` parses the dbt project only when something a parse reads changed
(orchestration/project.py `refresh_manifest`; orchestration/dbt_parse.py `parse_stamp`,
`parse_is_current`, which `retail run` asks before it imports Dagster)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.dbt_parse import parse_stamp
from retail.dbt import dbt_vars
from retail.settings import DBT_PROJECT_DIR, Settings

REFRESH = """
import sys
from pathlib import Path
from orchestration.project import refresh_manifest
from retail.settings import Settings
refresh_manifest(Settings.rooted_at(Path(sys.argv[1])))
"""


def _current(target: Path, root: Path) -> bool:
    """`parse_is_current` as a process with this target folder and `root`'s warehouse sees it."""
    code = ("import sys; from pathlib import Path; from orchestration.dbt_parse import "
            "parse_is_current; from retail.dbt import dbt_vars; from retail.settings import "
            "Settings; print(parse_is_current(dbt_vars(Settings.rooted_at(Path(sys.argv[1])))))")
    proc = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True,
                          env={**os.environ, "DBT_TARGET_PATH": str(target)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip() == "True"


def _refresh(target: Path, root: Path) -> None:
    env = {**os.environ, "DBT_TARGET_PATH": str(target)}
    proc = subprocess.run([sys.executable, "-c", REFRESH, str(root)], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_second_refresh_on_unchanged_project_runs_no_dbt(tmp_path: Path) -> None:
    target = tmp_path / "target"
    assert not _current(target, tmp_path / "a"), "never parsed"
    _refresh(target, tmp_path / "a")
    assert _current(target, tmp_path / "a")
    manifest = target / "manifest.json"
    first = manifest.stat().st_mtime_ns
    _refresh(target, tmp_path / "a")
    assert manifest.stat().st_mtime_ns == first  # no parse: the manifest was not rewritten
    assert not _current(target, tmp_path / "b"), "other vars"
    _refresh(target, tmp_path / "b")  # another warehouse: other vars, parsed again
    assert manifest.stat().st_mtime_ns > first
    assert _current(target, tmp_path / "b") and not _current(target, tmp_path / "a")
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


def test_the_parse_is_checked_and_the_dbt_server_started_without_dagster() -> None:
    """What lets `retail run` start dbt's warm server before its ~1.5 s of Dagster imports."""
    code = ("import sys, orchestration.dbt_parse, orchestration.dbt_forkserver, retail.dbt; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'dagster', 'dagster_dbt', "
            "'dbt'}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"
