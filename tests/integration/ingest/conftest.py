"""Fixtures of the ingest tests: a hand-written extract in tmp_path and a warehouse path."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_fixtures import GOOD_EXTRACT, write_extract


@pytest.fixture
def extract_dir(tmp_path: Path) -> Path:
    """A complete, valid hand-written extract in a folder named `batch-a`."""
    return write_extract(tmp_path / "landing" / "batch-a", GOOD_EXTRACT)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """Path of a not-yet-created warehouse file."""
    return tmp_path / "warehouse" / "retail.duckdb"
