"""Re-running the pipeline changes nothing: the same input gives the same gold tables."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from gold_fixtures import build, gold_checksums, ingest_all, settings_under


def test_rerunning_ingest_and_build_changes_no_gold_table(
    built_warehouse: Any, tmp_path: Path
) -> None:
    settings = settings_under(tmp_path)
    settings.duckdb_path.parent.mkdir(parents=True)
    shutil.copy(built_warehouse.duckdb_path, settings.duckdb_path)
    before = gold_checksums(settings.duckdb_path)
    assert before["fct_sales"][0] > 0

    ingest_all(settings, [built_warehouse.extract.path], force=True)  # the same files again
    build(settings, tmp_path / "target")

    assert gold_checksums(settings.duckdb_path) == before
