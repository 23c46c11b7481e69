"""Where dbt's parse of the project is kept, and whether it is still current: without Dagster.

`retail run` asks before it imports Dagster and dagster-dbt (~1.5 s): when the saved parse is
current, dbt's warm server (orchestration/dbt_forkserver.py), which reads it, starts at once,
beside those imports, instead of after them. orchestration/project.py `refresh_manifest` asks
the same question before it runs `dbt parse`.

`dbt parse` is skipped when nothing it reads changed since the last parse into the same target
folder: a stamp beside the manifest records the project files (path, size, mtime), the vars and
dbt's version. dbt's own `DBT_TARGET_PATH` variable moves `target/` elsewhere (tests: a tmp dir).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from importlib.metadata import version as package_version
from pathlib import Path

from retail.settings import DBT_PROJECT_DIR

# What `dbt parse` reads besides the vars (dbt_project.yml's *-paths, the profile).
PARSED_FILES = ("dbt_project.yml", "profiles/profiles.yml")
PARSED_DIRS = ("models", "macros", "seeds", "tests/dbt", "analyses", "snapshots")
STAMP = "retail_parse_stamp.txt"


def target_path() -> Path:
    """dbt's target folder as dbt reads it: `DBT_TARGET_PATH`, else `target`, relative to the
    project."""
    return Path(os.environ.get("DBT_TARGET_PATH") or "target")


def target_dir() -> Path:
    return DBT_PROJECT_DIR / target_path()


def saved_parse() -> Path:
    """dbt's saved parse (`partial_parse.msgpack`), which every `dbt build` of a run reads."""
    return target_dir() / "partial_parse.msgpack"


def parse_stamp(vars_args: list[str]) -> str:
    """A digest of everything a parse depends on: project files, vars, dbt's version."""
    digest = hashlib.sha256(f"{package_version('dbt-core')}\0{vars_args}\n".encode())
    paths = [DBT_PROJECT_DIR / name for name in PARSED_FILES]
    for folder in PARSED_DIRS:
        paths += sorted(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            stat = path.stat()
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def parse_is_current(vars_args: list[str]) -> bool:
    """Whether the last parse into the target folder saw the project as it is, with these vars."""
    stamp_file = target_dir() / STAMP
    return ((target_dir() / "manifest.json").exists() and stamp_file.exists()
            and stamp_file.read_text() == parse_stamp(vars_args))
