"""Importing the code location starts no dbt: the dbt project is prepared on purpose.

`dagster dev` loads `defs` (which prepares the project); `retail run` parses it explicitly. An
import alone, with no manifest anywhere, must leave the dbt target folder untouched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from retail.settings import PROJECT_ROOT


def test_importing_the_definitions_runs_no_dbt_parse(tmp_path: Path) -> None:
    target = tmp_path / "dbt-target"  # no manifest.json here: an import that parses creates one
    code = ("import sys, orchestration.definitions, orchestration.resources; "
            "print('orchestration.assets.dbt' in sys.modules, 'dbt.cli.main' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_IS_DEV_CLI"}
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=300, env={**env, "DBT_TARGET_PATH": str(target)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["False", "False"]  # no dbt assets built, dbt never loaded
    assert not target.exists()  # `dbt parse` would have written target/manifest.json
