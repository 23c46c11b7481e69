"""The project's Dagster instance settings (orchestration/dagster.yaml), used by every entry point.

Why: without a dagster.yaml Dagster prints its telemetry banner and a "No dagster instance
configuration file" notice on every command, and the choices (telemetry, storage, the DuckDB
writer pool) stay implicit. The file is the one place they are made; a DAGSTER_HOME without one
gets a copy, and the in-memory instance of `retail run` takes its telemetry setting.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

PROJECT_DAGSTER_YAML = Path(__file__).with_name("dagster.yaml")


def ephemeral_settings() -> dict[str, Any]:
    """The settings an in-memory instance honours (telemetry only; it has no storage)."""
    settings = yaml.safe_load(PROJECT_DAGSTER_YAML.read_text()) or {}
    return {"telemetry": settings.get("telemetry", {"enabled": False})}


def prepare_home(home: Path) -> Path:
    """Create `home` and give it the project's dagster.yaml when it has none (kept otherwise)."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists():
        shutil.copyfile(PROJECT_DAGSTER_YAML, target)
    return target


if __name__ == "__main__":  # `python -m orchestration.instance DIR`: prepare a DAGSTER_HOME
    import sys

    print(prepare_home(Path(sys.argv[1]).resolve()))
