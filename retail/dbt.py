"""Running dbt against a given warehouse file: from Python (tests, benchmarks, `retail docs`,
`retail segment`) and as the `retail dbt ...` pass-through."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from retail.errors import RetailError
from retail.settings import DBT_PROFILES_DIR, DBT_PROJECT_DIR, Settings


class DbtError(RetailError):
    pass


# dbt commands that never open the warehouse: no lock check before them.
NO_WAREHOUSE = frozenset({"parse", "deps", "clean", "list", "ls", "init", "help"})


def dbt_executable() -> str:
    return str(Path(sys.executable).with_name("dbt"))


def dbt_command(args: Sequence[str]) -> list[str]:
    """`dbt <args>` in this project; the project and profiles dirs unless `args` name them.

    Global flags alone (`--version`, `--help`) take no directories: dbt would refuse them.
    """
    cmd = [dbt_executable(), *args]
    if not args or args[0].startswith("-"):
        return cmd
    given = {arg.split("=", 1)[0] for arg in args}
    if "--project-dir" not in given:
        cmd += ["--project-dir", str(DBT_PROJECT_DIR)]
    if "--profiles-dir" not in given:
        cmd += ["--profiles-dir", str(DBT_PROFILES_DIR)]
    return cmd


# The settings variables the dbt project reads (profiles/profiles.yml, segments_parquet_glob):
# each as `var('<name>', env_var('<name>', ...))`, so a `--vars` value wins over the environment.
DBT_READS = ("RETAIL_DUCKDB_PATH", "RETAIL_SEGMENTS_DIR", "RETAIL_DUCKDB_MEMORY_LIMIT")


def dbt_environment(settings: Settings) -> dict[str, str]:
    """This process's environment with the settings of `settings`: dbt reads their warehouse."""
    env = settings.child_env()
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return env


def dbt_vars(settings: Settings) -> list[str]:
    """`--vars` arguments that make one dbt invocation read the warehouse of `settings`.

    Why: dagster-dbt (0.29) starts dbt with this process's environment and takes no other;
    passing the warehouse as dbt vars reaches that one invocation without touching os.environ.
    """
    env = settings.to_env()
    return ["--vars", json.dumps({name: env[name] for name in DBT_READS})]


def touches_warehouse(args: Sequence[str]) -> bool:
    """Whether `dbt <args>` opens the warehouse (so another holder of it makes dbt fail)."""
    return bool(args) and not args[0].startswith("-") and args[0] not in NO_WAREHOUSE


def run_dbt(
    args: Sequence[str],
    settings: Settings | None = None,
    target_path: Path | None = None,
    capture: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run `dbt <args>` in the project with the warehouse of `settings`.

    `target_path` keeps concurrent invocations (tests, a Dagster run) from sharing `target/`.
    Raises DbtError with dbt's output when dbt exits non-zero.
    """
    settings = settings or Settings.from_env()
    cmd = dbt_command(args)
    if target_path is not None:
        cmd += ["--target-path", str(target_path)]
    env = dbt_environment(settings)
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    if target_path is not None:
        env["DBT_LOG_PATH"] = str(Path(target_path) / "logs")
    proc = subprocess.run(cmd, cwd=DBT_PROJECT_DIR, env=env, text=True, capture_output=capture)
    if proc.returncode != 0:
        output = (proc.stdout or "") + (proc.stderr or "")
        raise DbtError(f"`dbt {' '.join(args)}` failed (exit {proc.returncode}):\n{output[-6000:]}")
    return proc


def passthrough(args: Sequence[str], settings: Settings) -> int:
    """`retail dbt <args>`: dbt's own output on this terminal, dbt's exit code.

    Why a wrapper: a dbt run on a warehouse another process holds ends in a long traceback
    with the holder's PID buried in it; checking the lock first says it in one line (exit 3).
    """
    if touches_warehouse(args):
        from retail.warehouse import ensure_free

        ensure_free(settings.duckdb_path)
    return subprocess.run(dbt_command(args), env=dbt_environment(settings)).returncode
