"""Running dbt from Python (tests, benchmarks, `retail docs`) against a given warehouse file."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from retail.errors import RetailError
from retail.settings import DBT_PROFILES_DIR, DBT_PROJECT_DIR, Settings


class DbtError(RetailError):
    pass


def dbt_executable() -> str:
    return str(Path(sys.executable).with_name("dbt"))


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
    cmd = [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR),
           "--profiles-dir", str(DBT_PROFILES_DIR)]
    if target_path is not None:
        cmd += ["--target-path", str(target_path)]
    env = {**os.environ, **settings.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if target_path is not None:
        env["DBT_LOG_PATH"] = str(Path(target_path) / "logs")
    proc = subprocess.run(cmd, cwd=DBT_PROJECT_DIR, env=env, text=True, capture_output=capture)
    if proc.returncode != 0:
        output = (proc.stdout or "") + (proc.stderr or "")
        raise DbtError(f"`dbt {' '.join(args)}` failed (exit {proc.returncode}):\n{output[-6000:]}")
    return proc
