"""`retail dbt ARGS...`: dbt with the project, profiles and warehouse of the settings.

Run as a user would (`.venv/bin/retail` in a subprocess) against copies of the session's built
warehouse, so the session's warehouse stays untouched.
"""

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from retail.dbt import dbt_executable
from retail.settings import DBT_PROFILES_DIR, DBT_PROJECT_DIR, Settings

RETAIL = str(Path(sys.executable).with_name("retail"))


def _copy(built_warehouse, root: Path) -> dict[str, str]:
    """The environment of settings under `root` whose warehouse is a copy of the built one;
    dbt's files under `root`."""
    settings = Settings.rooted_at(root)
    settings.duckdb_path.parent.mkdir(parents=True)
    shutil.copyfile(built_warehouse.duckdb_path, settings.duckdb_path)
    segments = built_warehouse.settings.segments_dir
    if segments.exists():
        shutil.copytree(segments, settings.segments_dir)
    return {**settings.child_env(), "DBT_TARGET_PATH": str(root / "target"),
            "DBT_LOG_PATH": str(root / "logs")}


@contextmanager
def _writer_holding(path: str) -> Iterator[subprocess.Popen]:
    """Another process with a read-write DuckDB connection open on `path`."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('holding', flush=True); time.sleep(120)", path],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def test_a_locked_warehouse_is_one_line_naming_the_holder(built_warehouse, tmp_path) -> None:
    env = _copy(built_warehouse, tmp_path)
    with _writer_holding(env["RETAIL_DUCKDB_PATH"]) as holder:
        done = subprocess.run([RETAIL, "dbt", "build"], env=env, capture_output=True,
                              text=True, timeout=300)
        # plain dbt on the same file: the traceback the wrapper replaces
        plain = subprocess.run([dbt_executable(), "debug", "--project-dir", str(DBT_PROJECT_DIR),
                                "--profiles-dir", str(DBT_PROFILES_DIR)],
                               env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("retail dbt: error: ")
    assert f"PID {holder.pid}" in lines[0] and env["RETAIL_DUCKDB_PATH"] in lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert plain.returncode != 0  # the lock is real: dbt itself cannot open the file


def test_build_on_a_free_warehouse_is_dbt_build(built_warehouse, tmp_path) -> None:
    env = _copy(built_warehouse, tmp_path)
    done = subprocess.run([RETAIL, "dbt", "build", "--exclude", "resource_type:unit_test"],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Completed successfully" in done.stdout  # dbt's own output, on stdout
    assert "nanobind: leaked" not in done.stderr  # nothing of DuckDB's outlives the command
    assert (tmp_path / "target" / "run_results.json").exists()  # the settings' dbt env


def test_dbt_exit_codes_come_through(built_warehouse, tmp_path) -> None:
    """A dbt failure exits with dbt's own status (computed by running dbt directly)."""
    env = _copy(built_warehouse, tmp_path)
    args = ["run-operation", "no_such_macro_anywhere"]
    wrapped = subprocess.run([RETAIL, "dbt", *args], env=env, capture_output=True, text=True,
                             timeout=300)
    direct = subprocess.run([dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR),
                             "--profiles-dir", str(DBT_PROFILES_DIR)], env=env,
                            capture_output=True, text=True, timeout=300, cwd=DBT_PROJECT_DIR)
    assert direct.returncode not in (0, 3)
    assert wrapped.returncode == direct.returncode
    assert "no_such_macro_anywhere" in wrapped.stdout + wrapped.stderr


def test_no_command_is_a_usage_error(tmp_path) -> None:
    done = subprocess.run([RETAIL, "dbt"], capture_output=True, text=True, timeout=120,
                          env=replace(Settings.rooted_at(tmp_path),
                                      duckdb_path=tmp_path / "w.duckdb").child_env())
    assert done.returncode == 2 and "name a dbt command" in done.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_dbt_bounds_duckdb_memory_by_the_setting(built_warehouse, tmp_path) -> None:
    """RETAIL_DUCKDB_MEMORY_LIMIT reaches the DuckDB connection dbt works on (profiles.yml)."""
    import json

    import duckdb

    env = {**_copy(built_warehouse, tmp_path), "RETAIL_DUCKDB_MEMORY_LIMIT": "1GB"}
    done = subprocess.run(
        [RETAIL, "dbt", "show", "--inline", "select current_setting('memory_limit') as bound",
         "--output", "json", "--quiet"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with duckdb.connect(config={"memory_limit": "1GB"}) as bounded:  # DuckDB's own rendering
        ((expected,),) = bounded.execute("select current_setting('memory_limit')").fetchall()
    with duckdb.connect() as unbounded:
        ((default,),) = unbounded.execute("select current_setting('memory_limit')").fetchall()
    assert json.loads(done.stdout)["show"] == [{"bound": expected}]
    assert expected != default


def test_a_memory_limit_that_is_no_size_is_one_line(tmp_path) -> None:
    env = {**Settings.rooted_at(tmp_path).child_env(), "RETAIL_DUCKDB_MEMORY_LIMIT": "lots"}
    done = subprocess.run([RETAIL, "dbt", "build"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        "retail dbt: error: RETAIL_DUCKDB_MEMORY_LIMIT='lots' is not a memory size: use e.g. "
        "4GB, 512MiB or 25% (of the machine's memory)"]
    assert not Settings.rooted_at(tmp_path).duckdb_path.exists()
